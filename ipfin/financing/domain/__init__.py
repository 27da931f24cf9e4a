"""Financing rules: pure, typed, no Django import (house style, "Where logic lives").

- `terms`: the product vocabulary shared with loans (`RepaymentMethod`, `DayCount`); the loan
  rules themselves (schedules, status, subsidy) are `ipfin.loans.domain`'s.
- `matching`: a financing demand against the product catalogue: hard eligibility rules, then a
  0–100 score (valuation coverage, rate, term fit, enterprise score), each part explained.

Money is `Decimal` yuan rounded to the fen with `ipfin.common.money.to_fen`; impossible inputs
raise `ipfin.common.errors.ValidationFailed` (422) with Chinese and English text and
`extra={"field": ...}`.
"""
