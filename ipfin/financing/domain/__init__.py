"""Financing rules: pure, typed, no Django import (house style, "Where logic lives").

- `schedules`: repayment schedules (等额本息, 等额本金, 先息后本), day counts, accrued and
  penalty interest.
- `subsidy`: interest subsidy (贴息) awards, per-enterprise caps and pro-rata budget scaling.
- `loan_status`: five-category classification (五级分类) from days past due, and the loan
  life-cycle state machine.
- `matching`: a financing demand against the product catalogue: hard eligibility rules, then a
  0–100 score (valuation coverage, rate, term fit, enterprise score), each part explained.

Money is `Decimal` yuan rounded to the fen with `ipfin.common.money.to_fen`; impossible inputs
raise `ipfin.common.errors.ValidationFailed` (422) with Chinese and English text and
`extra={"field": ...}`.
"""
