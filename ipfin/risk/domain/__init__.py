"""Risk rules: pure, typed, no Django import (house style, "Where logic lives").

- `compensation`: risk sharing and compensation (风险分担、风险补偿): the fund's front-loaded
  advance (先行代偿), the disposal proceeds applied (costs → interest → principal → pledgor), the
  loss split by the scheme's shares to the fen, the fund's cap and the settlement.
- `npl`: NPL tolerance (不良容忍度): a bank's IP-pledge NPL ratio against its overall ratio plus
  3 percentage points, compared exactly.
- `ratios`: the fractions both read (shares, NPL ratios): 0 to 1, at most ten decimals.
- `ledger`: the fund's double-entry ledger: the chart of accounts, what each event posts, the
  check every posting passes (two legs or more, Σdebit = Σcredit).
- `claims`: a compensation claim's states (filed → approved → paid → settled after disposal).
- `eligibility`: which loans a scheme covers (banks, products, kinds of right, a ceiling).
"""
