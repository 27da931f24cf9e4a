"""The valuation engine: pure, typed, vectorised calculations with no Django import.

- `income`: 收益分成法 (income approach, royalty/share-rate split), single and batch.
- `cost`: 成本法 (cost approach).
- `market`: 市场法 (market approach over adjusted comparables).
- `montecarlo`: seeded Monte Carlo of the income approach (P10/P50/P90).
- `indicator`: 价值度 indicator score (legal, technical, economic), cohort-normalised, batch.
- `bank`: a bank's internal valuation model and the recheck of an external report.
- `credit`: the "IP + credit" enterprise scorecard.

Money is `Decimal` at the edges (results rounded to the fen with `ipfin.common.money.to_fen`);
the batch paths work on float64 arrays and round on the way out. Impossible inputs raise
`ValuationInputError` (a 422 at the API) naming the field.
"""
