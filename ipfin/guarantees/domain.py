"""Guarantees on IP-pledge loans (质押+担保, seed 002; issue 16): the money rules, pure.

A guarantor (担保机构) covers a share of a loan's loss up to a cap and charges a fee. Every amount
is `Decimal` yuan to the fen, rounded by the project's one rule (`ipfin.common.money.to_fen`,
half-up); shares and rates are fractions from 0 to 1 with at most ten decimals
(`ipfin.risk.domain.ratios`), so each product is exact before that one rounding.

- `guarantee_fee`: charged once, on disbursement: principal × the annual fee rate × months / 12
  (the guarantee runs the loan's term), half-up to the fen. The issue gives "a fee rate" and
  Chinese guarantors quote 担保费率 per year (年化); a one-off rate is months = 12.
- `guarantor_part`: what the guarantor pays of a loss: share × loss, half-up to the fen, never
  more than the cap nor than the loss.
- `after_recovery`: once the pledge is disposed of, the loss is what the proceeds did not cover;
  the guarantor's part is taken again on that smaller loss and what it paid beyond it comes back
  (`refund`, never negative: a recovery never makes the guarantor pay more).
- `guarantee_period_end`: the last day of the guarantee period (保证期间, 民法典 art. 692): the
  months agreed after the day the principal debt falls due (six where none was agreed, art. 692
  ¶2); a guarantee not called by then is discharged (art. 693 ¶2: a joint-liability guarantor,
  as the platform's guarantees are, art. 688, no longer bears it). A period agreed to end no
  later than the debt falls due counts as none agreed (art. 692 ¶2): the months are at least 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ipfin.common.errors import invalid
from ipfin.common.inputs import amount_in
from ipfin.common.money import to_fen
from ipfin.registry.domain import add_months
from ipfin.risk.domain.ratios import ratio_in

__all__ = [
    "DEFAULT_PERIOD_MONTHS",
    "MAX_ENFORCEMENT_REF",
    "MAX_PERIOD_MONTHS",
    "GuaranteeTerms",
    "Recovery",
    "after_recovery",
    "guarantee_fee",
    "guarantee_period_end",
    "guarantor_part",
]

MAX_MONTHS = 600
# 民法典 art. 692 ¶2: no period agreed, six months from the day the principal debt falls due.
DEFAULT_PERIOD_MONTHS = 6
MAX_PERIOD_MONTHS = 120  # the platform's bound on an agreed period (ten years)
# A general guarantee's call: the enforcement's ruling (its number) or the art. 687 ¶2 ground.
MAX_ENFORCEMENT_REF = 200


def guarantee_period_end(due_on: date, months: int) -> date:
    """The last day of a guarantee period of `months` from `due_on`, the day the principal debt
    falls due (民法典 art. 692; counted as art. 201 ¶1 and art. 202 count a period in months:
    the day it falls due is not counted, the period ends on the same day of the last month, the
    month's last day when it has none). No holiday moves it: a guarantee period is neither
    suspended, interrupted nor extended (art. 692 ¶1)."""
    if not 1 <= months <= MAX_PERIOD_MONTHS:
        raise ValueError(f"a guarantee period of {months} months")
    return add_months(due_on, months)


@dataclass(frozen=True)
class GuaranteeTerms:
    share: Decimal  # of the loss covered, 0 < share ≤ 1
    cap: Decimal  # at most this much, yuan
    fee_rate: Decimal  # a year, of the principal

    @classmethod
    def parse(cls, share: object, cap: object, fee_rate: object) -> GuaranteeTerms:
        """Checked terms; a 422 naming the field otherwise (`share`, `cap`, `fee_rate`)."""
        parsed_share = ratio_in(share, "share", "share_invalid", "担保比例")
        if parsed_share == 0:
            raise invalid(
                "share",
                "share_invalid",
                "担保比例应大于 0。",
                "share must be above 0: a guarantee covers part of the loss.",
            )
        return cls(
            share=parsed_share,
            cap=amount_in(cap, "cap", label_zh="担保责任上限"),
            fee_rate=ratio_in(fee_rate, "fee_rate", "fee_rate_invalid", "担保费率"),
        )


def guarantee_fee(principal: Decimal, fee_rate: Decimal, months: int) -> Decimal:
    """principal × fee_rate × months / 12, half-up to the fen."""
    if not 1 <= months <= MAX_MONTHS:
        raise invalid(
            "months",
            "months_invalid",
            f"担保期限应为 1 到 {MAX_MONTHS} 个月。",
            f"months must be 1 to {MAX_MONTHS}.",
        )
    return to_fen(principal * fee_rate * months / 12)


def guarantor_part(loss: Decimal, terms: GuaranteeTerms) -> Decimal:
    """share × loss, half-up to the fen, at most the cap and the loss; 0 for no loss."""
    if loss <= 0:
        return Decimal("0.00")
    return min(to_fen(terms.share * loss), terms.cap, loss)


@dataclass(frozen=True)
class Recovery:
    loss: Decimal  # what the proceeds did not cover
    part: Decimal  # the guarantor's part of it
    refund: Decimal  # what comes back to the guarantor of what it paid


def after_recovery(
    paid: Decimal, loss_before: Decimal, proceeds: Decimal, terms: GuaranteeTerms
) -> Recovery:
    """The guarantor paid `paid` on `loss_before`; the disposal then recovered `proceeds` of it
    (applied to principal). The new loss, the guarantor's part of it and its refund."""
    loss = max(loss_before - proceeds, Decimal("0.00"))
    part = guarantor_part(loss, terms)
    return Recovery(loss=loss, part=part, refund=max(paid - part, Decimal("0.00")))
