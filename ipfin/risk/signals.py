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

__all__ = ["ContractCover", "claim_settled", "covers_of", "loss_cover", "ref_words"]

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
