"""Risk sharing and compensation (风险分担、风险补偿) of a defaulted IP-pledge loan: what a
risk-compensation fund advances, how the disposal proceeds are applied, and who bears the loss.

Pure: no Django, no clock. Every amount is `Decimal` yuan to the fen; the split works in integer
fen, so that nothing is created or lost by rounding.

Sources. The policy documents the platform is built from (seeds 000, 001, 002 and 003) ask for a
risk-compensation fund that shares the losses of IP-pledge loans with the bank, the guarantor and
the insurer, and allow it to pay first (先行代偿) and settle later. Their texts are not kept in
../shared, so nothing here quotes them; the words this rule rests on are DOMAIN.md's ("风险补偿:
fund pays a share of losses; front-loaded 前置: advanced on default, settled after disposal") and
issue 12's ("Risk sharing and compensation (风险分担、补偿, seeds 000, 001, 002, 003)"), whose four
steps are these. The order in which the proceeds are applied is the statute's: 民法典 art. 561
(实现债权的有关费用, then 利息, then 主债务) and art. 438 (what exceeds the secured debt is the
pledgor's).

The rule (`compensate`), with the shares s = {fund, bank, guarantor, insurer} (each 0 ≤ s ≤ 1,
Σ s exactly 1):

1. advance (mode "front_loaded", paid when the loan becomes non-performing):
   min(the fund's part of the principal, fund_cap_per_loan, fund_balance), the part as step 3
   splits a loss (largest remainder, to the fen), so that a disposal recovering nothing leaves
   nothing to settle; 0.00 in mode "after_disposal". (It was s_fund × principal rounded half up
   on its own: a fen off the split's part, either way, whenever the remainders decided the fen
   otherwise, and such a claim ended on a settlement of 0.01 one way or the other.)
2. The disposal proceeds go, in this order, to the disposal costs, then to the unpaid interest,
   then to the principal; what is left goes back to the pledgor. Each step takes at most what it
   is owed. loss = principal − proceeds applied to principal (never below 0; unrecovered costs
   and interest are not part of it).
3. The loss is split by the shares to the fen by the largest-remainder method
   (`ipfin.common.money.largest_remainder`): each party first gets its exact quota rounded down to
   the fen, and the fen left over go one each to the largest remainders, equal remainders in the
   order fund, bank, guarantor, insurer. The parts sum to the loss exactly. The fund's part is
   then capped by fund_cap_per_loan, the guarantor's by guarantor_cap and the insurer's by
   insurer_cap (a guarantee's 担保责任上限, what is left of a policy's sum insured); each excess is
   borne by the bank.
4. settlement = the fund's final part − advance: positive, the fund pays the bank that much more;
   negative, the bank returns that much to the fund. At a settlement the advance is the one paid
   (`advance_paid`), and `principal` and `interest` are what the loan owes then: what the
   borrower repaid since the claim was filed is no loss (the fund shares the loss, 风险补偿).

Before disposal (`proceeds` not given) only the advance is known: the result carries `proceeds`,
`loss`, `shares` and `settlement` as None; they are not computed as if nothing had been
recovered. `disposal_costs` without `proceeds` is refused (a 422 naming `disposal_costs`).

The shares of a loan that carries a guarantee or a pledge-financing guarantee insurance policy
(`shares_with_cover`, issue 16): the guarantor's and the insurer's shares are the contracts'
(the scheme's stand only where no contract does), the fund keeps the scheme's share, and the bank
bears the rest. The fund's share is served first (it is public money under a published scheme),
then the guarantee, then the policy, each within what is left of the whole: a contract that
would take the parts past 1 covers only what is left (`limited` says so), never more than the
loss.

The fund's balance bounds the advance only: whether the fund can pay a positive settlement is
its ledger's business, not this rule's.

Refusals are 422s (`ipfin.common.errors.invalid`) naming the input: `amount_invalid` /
`amount_too_large` for an amount (`ipfin.common.inputs.amount_in`), `decimal_invalid` for a share
that is not an exact decimal, `share_invalid` (field `shares.<party>`) for one outside 0..1 or with
more than ten decimals (`ratios.MAX_PLACES`: the arithmetic stays exact),
`shares_sum_invalid` (field `shares`) when they do not sum to exactly 1, `mode_invalid`,
`proceeds_required`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from enum import StrEnum

from ipfin.common.errors import invalid
from ipfin.common.inputs import amount_in
from ipfin.common.money import largest_remainder
from ipfin.risk.domain.ratios import MAX_PLACES, ratio_in

__all__ = [
    "PARTIES",
    "ByParty",
    "Compensation",
    "CompensationCase",
    "CompensationMode",
    "Cover",
    "CoveredShares",
    "ProceedsApplied",
    "compensate",
    "mode_in",
    "shares_in",
    "shares_with_cover",
]

_FEN_PER_YUAN = 100


class CompensationMode(StrEnum):
    AFTER_DISPOSAL = "after_disposal"  # the fund pays its part once the pledge is disposed of
    FRONT_LOADED = "front_loaded"  # 前置: the fund advances on default, settles after disposal


@dataclass(frozen=True)
class ByParty:
    """One figure per party bearing the loss: the shares (fractions) of a scheme, or the parts
    (yuan) of a loss. The field order is the tie-break order of the split."""

    fund: Decimal
    bank: Decimal
    guarantor: Decimal
    insurer: Decimal


# The parties in the order equal remainders are served (ByParty's field order).
PARTIES: tuple[str, ...] = tuple(f.name for f in fields(ByParty))
_PARTY_ZH = {"fund": "风险补偿基金", "bank": "银行", "guarantor": "担保机构", "insurer": "保险机构"}


@dataclass(frozen=True)
class CompensationCase:
    """A defaulted loan under a scheme. `proceeds` None: not disposed of yet."""

    mode: str
    principal: Decimal  # outstanding principal of the loan
    interest: Decimal  # interest due and unpaid
    shares: ByParty
    fund_balance: Decimal
    fund_cap_per_loan: Decimal | None = None  # None: no cap
    proceeds: Decimal | None = None
    disposal_costs: Decimal | None = None  # None with proceeds: 0.00
    guarantor_cap: Decimal | None = None  # None: no cap
    insurer_cap: Decimal | None = None  # None: no cap
    # At a settlement: the advance the fund paid, taken as it is (computed on the principal at
    # filing, which repayments since may have lowered); None: computed by step 1.
    advance_paid: Decimal | None = None


@dataclass(frozen=True)
class ProceedsApplied:
    """The disposal proceeds as applied (they sum to the proceeds)."""

    costs: Decimal
    interest: Decimal
    principal: Decimal
    pledgor: Decimal


@dataclass(frozen=True)
class Compensation:
    advance: Decimal
    proceeds: ProceedsApplied | None  # None before disposal, and so are the three below
    loss: Decimal | None
    shares: ByParty | None  # each party's part of the loss, the fund's after its cap
    settlement: Decimal | None  # shares.fund − advance


def _fen(amount: Decimal) -> int:
    return int(amount * _FEN_PER_YUAN)


def _yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def _amount(value: Decimal, field: str, label_zh: str) -> int:
    """A non-negative amount of yuan to the fen (the input layer's one check), in fen."""
    return _fen(amount_in(value, field, positive=False, label_zh=label_zh, label_en=field))


def mode_in(value: str) -> CompensationMode:
    """`value` as a CompensationMode; else a 422 `mode_invalid` naming `mode`."""
    try:
        return CompensationMode(value)
    except ValueError:
        raise invalid(
            "mode",
            "mode_invalid",
            "补偿方式应为 after_disposal（处置后补偿）或 front_loaded（前置代偿）。",
            "mode must be after_disposal or front_loaded.",
        ) from None


def shares_in(shares: ByParty) -> ByParty:
    """Each share a fraction 0..1 with at most MAX_PLACES decimals (422 `share_invalid` naming
    `shares.<party>`), all four summing to exactly 1 (422 `shares_sum_invalid` naming `shares`):
    the one check of a scheme's shares, here and where a scheme is saved (ipfin.risk.services)."""
    values = {
        party: ratio_in(
            getattr(shares, party),
            f"shares.{party}",
            "share_invalid",
            f"{_PARTY_ZH[party]}分担比例",
        )
        for party in PARTIES
    }
    total = sum(values.values(), Decimal(0))  # exact: at most MAX_PLACES decimals each
    if total != 1:
        raise invalid(
            "shares",
            "shares_sum_invalid",
            f"各方分担比例之和须恰好为1（本次为 {total}）。",
            f"The shares must sum to exactly 1 (these sum to {total}).",
            total=str(total),
        )
    return ByParty(**values)


def _weights(shares: ByParty) -> list[tuple[int, int]]:
    """The shares as whole numbers in the same proportion (× 10^MAX_PLACES, exact), keyed by the
    party's place in PARTIES, so that equal remainders are served in that order."""
    return [(i, int(getattr(shares, party).scaleb(MAX_PLACES))) for i, party in enumerate(PARTIES)]


def _apply_proceeds(proceeds: int, owed: tuple[int, int, int]) -> tuple[int, int, int, int]:
    """`proceeds` fen applied to what is `owed` (costs, interest, principal) in that order, each
    step at most what it is owed; the rest last (the pledgor's)."""
    rest = proceeds
    applied: list[int] = []
    for amount in owed:
        paid = min(amount, rest)
        applied.append(paid)
        rest -= paid
    costs, interest, principal = applied
    return costs, interest, principal, rest


def compensate(case: CompensationCase) -> Compensation:
    """The advance, the proceeds as applied, the loss and its split, and the settlement of
    `case` (see the module docstring for the rule)."""
    mode = mode_in(case.mode)
    shares = shares_in(case.shares)
    principal = _amount(case.principal, "principal", "本金")
    interest = _amount(case.interest, "interest", "欠息")
    balance = _amount(case.fund_balance, "fund_balance", "补偿基金余额")
    cap = (
        None
        if case.fund_cap_per_loan is None
        else _amount(case.fund_cap_per_loan, "fund_cap_per_loan", "单笔贷款补偿上限")
    )
    party_caps = {
        "guarantor": None
        if case.guarantor_cap is None
        else _amount(case.guarantor_cap, "guarantor_cap", "担保责任上限"),
        "insurer": None
        if case.insurer_cap is None
        else _amount(case.insurer_cap, "insurer_cap", "保险剩余保额"),
    }

    advance = 0
    if case.advance_paid is not None:
        advance = _amount(case.advance_paid, "advance_paid", "已垫付补偿")
    elif mode is CompensationMode.FRONT_LOADED:
        # The fund's part of the principal split as a loss is split (step 3), not the quota
        # rounded on its own: a disposal that recovers nothing then settles at exactly 0.00.
        advance = min(largest_remainder(principal, _weights(shares))[0], balance)
        if cap is not None:
            advance = min(advance, cap)

    if case.proceeds is None:
        if case.disposal_costs is not None:
            raise invalid(
                "disposal_costs",
                "proceeds_required",
                "处置费用须与处置所得一并提供（处置前不计损失）。",
                "disposal_costs go with the proceeds (before disposal no loss is computed).",
            )
        return Compensation(_yuan(advance), None, None, None, None)

    proceeds = _amount(case.proceeds, "proceeds", "处置所得")
    costs = (
        0
        if case.disposal_costs is None
        else _amount(case.disposal_costs, "disposal_costs", "处置费用")
    )
    applied = _apply_proceeds(proceeds, (costs, interest, principal))
    loss = principal - applied[2]

    parts = largest_remainder(loss, _weights(shares))
    split = {party: parts[i] for i, party in enumerate(PARTIES)}
    for party, party_cap in (("fund", cap), *party_caps.items()):
        if party_cap is not None and split[party] > party_cap:
            split["bank"] += split[party] - party_cap
            split[party] = party_cap

    return Compensation(
        advance=_yuan(advance),
        proceeds=ProceedsApplied(*(_yuan(fen) for fen in applied)),
        loss=_yuan(loss),
        shares=ByParty(**{party: _yuan(fen) for party, fen in split.items()}),
        settlement=_yuan(split["fund"] - advance),
    )


@dataclass(frozen=True)
class Cover:
    """The loan's contracts that bear part of its loss (None: no such contract): the guarantee's
    share and its cap (担保比例, 担保责任上限), the pledge-financing guarantee insurance policy's
    share and what is left of its sum insured."""

    guarantor_share: Decimal | None = None
    guarantor_cap: Decimal | None = None
    insurer_share: Decimal | None = None
    insurer_cap: Decimal | None = None


@dataclass(frozen=True)
class CoveredShares:
    shares: ByParty
    limited: tuple[str, ...]  # the parties whose contract share was cut to what was left


def shares_with_cover(scheme: ByParty, cover: Cover) -> CoveredShares:
    """The shares a claim splits the loss by (see the module docstring): the scheme's fund share,
    the contracts' guarantor and insurer shares where they stand (else the scheme's), each within
    what is left of 1 in the order fund, guarantor, insurer, and the bank the rest. Σ = 1."""
    checked = shares_in(scheme)
    left = Decimal(1) - checked.fund
    limited: list[str] = []
    parts: dict[str, Decimal] = {"fund": checked.fund}
    for party, contract in (
        ("guarantor", cover.guarantor_share),
        ("insurer", cover.insurer_share),
    ):
        wanted = getattr(checked, party) if contract is None else contract
        if wanted > left:
            limited.append(party)
            wanted = left
        parts[party] = wanted
        left -= wanted
    return CoveredShares(ByParty(bank=left, **parts), tuple(limited))
