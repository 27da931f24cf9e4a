"""What the risk services ask of and announce to the apps above them (guarantees, insurance), which
the risk app may not import: Django signals, sent inside the service's transaction, so that a
receiver's writes commit or roll back with the claim's.

- `loss_cover(sender=RiskClaim, loan=..., day=...)`: asked when a claim is filed; each receiver
  answers with the `ContractCover` the loan carries on `day` (a guarantee, a pledge-financing
  guarantee insurance policy) or None. `day` None: a contract of any term (what a guarantee and
  a policy are weighed against each other by, so that together they bear at most the loss). The
  claim splits the loss with those contracts' shares within their caps
  (ipfin.risk.domain.compensation.shares_with_cover).
- `claim_settled(sender=RiskClaim, claim=..., actor=..., day=...)`: the claim was settled after the
  disposal: its `loss`, `guarantor_part` and `insurer_part` are what the guarantee and the policy
  bear of the loss, for their apps to call, refund or pay.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.dispatch import Signal

from ipfin.common.display import percent
from ipfin.common.errors import Conflict

__all__ = [
    "ContractCover",
    "claim_settled",
    "covers_of",
    "loss_cover",
    "ref_words",
    "refuse_cover_beyond_loss",
]

loss_cover = Signal()
claim_settled = Signal()


@dataclass(frozen=True)
class ContractCover:
    party: str  # "guarantor" or "insurer" (ipfin.risk.domain.compensation.PARTIES)
    ref: str  # what the contract is, for the record: "guarantee:12", "policy:7"
    share: Decimal  # of the loss it covers
    cap: Decimal | None  # at most this much (None: no cap)


_REF_WORDS = {"guarantee": ("担保", "guarantee"), "policy": ("保单", "policy")}


def ref_words(ref: str) -> tuple[str, str]:
    """A contract's `ref` ("policy:7") as the pages say it: ("保单 #7", "policy #7")."""
    kind, _, pk = ref.partition(":")
    zh, en = _REF_WORDS.get(kind, ("合同", "contract"))
    return f"{zh} #{pk}", f"{en} #{pk}"


def refuse_cover_beyond_loss(share: Decimal, other: ContractCover | None) -> None:
    """A loan's guarantee and its guarantee insurance together bear at most the whole loss:
    without a compensation claim each pays its own share of it, and a guarantee of 60 % with a
    policy of 60 % paid 480,000.00 on a loss of 400,000.00, the bank still holding the pledge.
    `share`: the contract being issued or accepted; `other`: the loan's other contract, if any
    (`covers_of(loan, None)`). 409 `cover_exceeds_loss`, naming the other and its share."""
    if other is None or share + other.share <= 1:
        return
    zh, en = ref_words(other.ref)
    raise Conflict(
        f"该贷款的{zh}已承担损失的 {percent(other.share)}，与本合同的 {percent(share)} 合计超过"
        f"全部损失：本合同至多承担 {percent(1 - other.share)}。",
        f"The loan's {en} bears {percent(other.share)} of the loss: with this contract's "
        f"{percent(share)} the two would pay more than the whole loss; this one may bear at most "
        f"{percent(1 - other.share)}.",
        code="cover_exceeds_loss",
        extra={"share": str(share), "other": other.ref, "other_share": str(other.share)},
    )


def covers_of(loan: Any, day: Any) -> dict[str, ContractCover]:
    """The contracts the receivers report for `loan` on `day`, one per party (a second contract
    for the same party is a receiver's bug: refused loudly rather than one silently dropped)."""
    found: dict[str, ContractCover] = {}
    for _receiver, answer in loss_cover.send(sender=None, loan=loan, day=day):
        if answer is None:
            continue
        if not isinstance(answer, ContractCover) or answer.party in found:
            raise RuntimeError(f"loss_cover: unexpected answer {answer!r}")
        found[answer.party] = answer
    return found
