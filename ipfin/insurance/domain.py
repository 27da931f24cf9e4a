"""IP insurance (知识产权保险, seeds 000 §11, 003, 004 (八); issue 16): the money rules, pure.

- `premium`: rate × sum insured, half-up to the fen (`ipfin.common.money.to_fen`, the project's
  one rounding rule); the rate a fraction from 0 to 1 with at most ten decimals.
- `CoInsurance` (共保体): the insurers of a pool and their shares, each above 0, summing to exactly
  1; `split` divides an amount — a premium, a claim paid — among them to the fen by the largest
  remainder (`ipfin.common.money.largest_remainder`, equal remainders to the insurer listed
  first), so the parts add up to the amount exactly and no insurer's part is off its exact quota
  by a fen or more.
- `claim_payout`: what a policy pays on an assessed loss: the loss less the deductible, never more
  than what is left of the sum insured after earlier payouts.
- `guarantee_insurance_part` (质押融资保证保险): the policy pays its share of the bank's loss on
  the loan, half-up to the fen, within what is left of the sum insured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ipfin.common.errors import invalid
from ipfin.common.money import largest_remainder, to_fen
from ipfin.financing.domain.insurance_kinds import InsuranceKind
from ipfin.risk.domain.ratios import MAX_PLACES, ratio_in

__all__ = [
    "CoInsurance",
    "ProductKind",
    "claim_payout",
    "guarantee_insurance_part",
    "premium",
]

_ZERO = Decimal("0.00")


# The seven kinds, one definition with the catalogue's (ipfin.financing.domain.insurance_kinds).
ProductKind = InsuranceKind


def premium(sum_insured: Decimal, rate: object) -> Decimal:
    """rate × sum insured, half-up to the fen (a 422 naming `rate` for a bad rate)."""
    return to_fen(ratio_in(rate, "rate", "rate_invalid", "保险费率") * sum_insured)


@dataclass(frozen=True)
class CoInsurance:
    """The insurers of a co-insurance pool (共保体) and their shares, in the order given."""

    members: tuple[tuple[int, Decimal], ...]

    @classmethod
    def of(cls, members: Sequence[tuple[int, object]]) -> CoInsurance:
        """Checked: at least one insurer, each once, each share above 0 (ten decimals at most),
        the shares summing to exactly 1; a 422 naming the field otherwise."""
        if not members:
            raise invalid(
                "members", "members_required", "共保体至少要有一家保险机构。", "No insurer given."
            )
        seen: set[int] = set()
        parsed = []
        for i, (insurer, raw) in enumerate(members):
            field = f"members[{i}].share"
            share = ratio_in(raw, field, "share_invalid", "共保份额")
            if share == 0:
                raise invalid(
                    field, "share_invalid", "共保份额应大于 0。", f"{field} must be above 0."
                )
            if insurer in seen:
                raise invalid(
                    f"members[{i}].insurer",
                    "insurer_repeated",
                    "同一保险机构在共保体中只能出现一次。",
                    "An insurer is listed twice.",
                )
            seen.add(insurer)
            parsed.append((insurer, share))
        if sum(share for _, share in parsed) != 1:
            raise invalid(
                "members",
                "shares_sum_invalid",
                "共保份额之和应恰好为 1。",
                "The co-insurers' shares must add up to exactly 1.",
            )
        return cls(tuple(parsed))

    def split(self, amount: Decimal) -> dict[int, Decimal]:
        """`amount` (yuan to the fen, not negative) in parts by share, to the fen, summing to it
        exactly (largest remainder; equal remainders to the insurer listed first)."""
        fen = int(to_fen(amount).scaleb(2))
        order = {insurer: n for n, (insurer, _) in enumerate(self.members)}
        weights = [
            (order[insurer], int(share.scaleb(MAX_PLACES))) for insurer, share in self.members
        ]
        parts = largest_remainder(fen, weights)
        return {insurer: Decimal(parts[order[insurer]]).scaleb(-2) for insurer, _ in self.members}


def claim_payout(
    assessed_loss: Decimal, deductible: Decimal, sum_insured: Decimal, paid_before: Decimal
) -> Decimal:
    """The assessed loss less the deductible, within what is left of the sum insured."""
    left = max(sum_insured - paid_before, _ZERO)
    return min(max(assessed_loss - deductible, _ZERO), left)


def guarantee_insurance_part(
    bank_loss: Decimal, share: Decimal, sum_insured: Decimal, paid_before: Decimal
) -> Decimal:
    """质押融资保证保险: share × the bank's loss, half-up to the fen, within what is left of the
    sum insured; 0 for no loss."""
    if bank_loss <= 0:
        return _ZERO
    left = max(sum_insured - paid_before, _ZERO)
    return min(to_fen(share * bank_loss), left)
