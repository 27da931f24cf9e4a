"""Writes of guarantees (ipfin.guarantees.models): each under the guarantee's row lock, audited,
the other party told.

- `guarantee_request` (the lending bank, `LOAN_MANAGE`): on one of its own loans not yet closed,
  written off or declined, a guarantor, the share of the loss covered, the cap and the annual fee
  rate (ipfin.guarantees.domain.GuaranteeTerms); 409 `guarantee_exists` while another is live,
  409 `settled_by_claim` once a compensation claim stands on the loan (it split the loss already).
- `guarantee_decide` (the guarantor, `GUARANTEE_ISSUE`): issue or decline (with a reason); no
  issue once a compensation claim stands on the loan (409 `settled_by_claim`). An
  issued guarantee on a disbursed loan has its fee charged at once, dated the disbursement; on a
  loan not yet disbursed the fee is charged when it is (`charge_fee_on_disbursement`, the
  receiver of ipfin.loans.signals.loan_disbursed, in the disbursement's transaction).
- `guarantee_call` (the bank): on default — the loan classified 次级, 可疑 or 损失 — and within
  the guarantee period (保证期间: `period_months` after the loan falls due, six where none was
  agreed, 民法典 art. 692; after it 409 `guarantee_period_expired`, art. 693 ¶2, for a
  joint-liability guarantee, 连带责任保证, art. 688, the default), the loss is the principal
  outstanding; the guarantor owes its part (share × loss within the cap). A general guarantee
  (一般保证, art. 687; `liability` "general" at the request) is called with the day the bank
  sued the borrower, within the period (art. 693 ¶1), and the ruling that enforcement left the
  debt unpaid or the art. 687 ¶2 ground that dispenses with it (`_general_call_grounds`).
- `guarantee_pay` (the guarantor): pays what is due, dated.
- `guarantee_recover` (the bank), once the loan is closed, or written off with its pledge sold
  or released (409 `recovery_pending` before), and `guarantee_settle_after_sale` (a sale of the
  pledge that ends the recovery, by itself; one that leaves a shortfall records what the bank
  returns so far): the principal recovered since the call, as the loan records it, shrinks the
  loss;
  the guarantor's part is taken again and what it paid beyond it is returned to it. Only for a
  loan without a compensation claim: a claim's settlement settles its guarantee (409
  `settled_by_claim`).

Inside the risk waterfall (issue 16; ipfin.risk.signals): a compensation claim filed on the loan
splits the loss with the issued guarantee's share within its cap (`guarantee_cover`), and its
settlement after the disposal fixes the guarantor's part (`guarantee_settle_by_claim`): an issued
guarantee is called for that part, a called one's due becomes that part, a paid one gets back
what it paid beyond it (or is called again for the difference, a rounding fen at most).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.accounts.permissions import Perm, acting_organisation, require
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.display import percent
from ipfin.common.errors import Conflict, NotFound, invalid
from ipfin.common.inputs import amount_in, date_in, day_up_to, decimal_in, int_in
from ipfin.common.money import money_str, money_str_or_none
from ipfin.guarantees.domain import (
    DEFAULT_PERIOD_MONTHS,
    MAX_ENFORCEMENT_REF,
    MAX_PERIOD_MONTHS,
    GuaranteeTerms,
    Recovery,
    after_recovery,
    guarantee_fee,
    guarantee_period_end,
    guarantor_part,
)
from ipfin.guarantees.models import LIVE_STATES, Guarantee, LiabilityChoices
from ipfin.loans.domain.status import NON_PERFORMING, LoanState, RiskCategory
from ipfin.loans.models import Loan
from ipfin.loans.selectors import loan_list
from ipfin.pledges.models import Pledge, PledgeStateChoices
from ipfin.risk.domain.ratios import ratio_text
from ipfin.risk.models import RiskClaim
from ipfin.risk.signals import ContractCover, covers_of, refuse_cover_beyond_loss

__all__ = [
    "charge_fee_on_disbursement",
    "guarantee_call",
    "guarantee_cover",
    "guarantee_decide",
    "guarantee_pay",
    "guarantee_recover",
    "guarantee_request",
    "guarantee_settle_after_sale",
    "guarantee_settle_by_claim",
]

_OPEN_LOAN_STATES = ("applied", "approved", "disbursed", "repaying")
_REASON_MAX = 500


def _snapshot(g: Guarantee) -> dict[str, Any]:
    return {
        "loan": g.loan_id,
        "guarantor": g.guarantor_id,
        "state": g.state,
        "share": ratio_text(Decimal(g.share)),
        "cap": money_str(Decimal(g.cap)),
        "fee_rate": ratio_text(Decimal(g.fee_rate)),
        "period_months": g.period_months,
        "liability": g.liability,
        "sued_on": g.sued_on.isoformat() if g.sued_on else None,
        "enforcement_ref": g.enforcement_ref,
        "fee": money_str_or_none(g.fee),
        "fee_charged_on": g.fee_charged_on.isoformat() if g.fee_charged_on else None,
        "loss": money_str_or_none(g.loss),
        "due": money_str_or_none(g.due),
        "paid": money_str_or_none(g.paid),
        "proceeds": money_str_or_none(g.proceeds),
        "refund": money_str_or_none(g.refund),
        "refund_received": money_str(Decimal(g.refund_received)),
        "refund_received_on": g.refund_received_on.isoformat() if g.refund_received_on else None,
    }


def _terms(g: Guarantee) -> GuaranteeTerms:
    return GuaranteeTerms(Decimal(g.share), Decimal(g.cap), Decimal(g.fee_rate))


def _label(g: Guarantee) -> tuple[str, str]:
    return f"贷款 #{g.loan_id} 的融资担保", f"the guarantee on loan #{g.loan_id}"


def _not_found() -> NotFound:
    return NotFound("未找到该担保。", "No such guarantee.", code="guarantee_not_found")


def _locked(g: Guarantee | int, org: Organisation, side: str) -> Guarantee:
    """The guarantee under its row lock, if `org` is its bank (side "bank") or its guarantor
    (side "guarantor"); 404 otherwise (another party's guarantee is not acknowledged)."""
    pk = g.pk if isinstance(g, Guarantee) else g
    locked = Guarantee.objects.select_for_update().filter(pk=pk, **{f"{side}_id": org.pk}).first()
    if locked is None:
        raise _not_found()
    return locked


def _locked_with_loan(g: Guarantee | int, org: Organisation, side: str) -> tuple[Guarantee, Loan]:
    """`_locked`, its loan locked first: the loan's row, then the guarantee's, the order every
    path that locks both takes (a disbursement, a sale, a claim's settlement lock the loan and
    then reach the guarantee); the other order made a recovery and a sale at once deadlock."""
    pk = g.pk if isinstance(g, Guarantee) else g
    loan_id = (
        Guarantee.objects.filter(pk=pk, **{f"{side}_id": org.pk})
        .values_list("loan_id", flat=True)
        .first()
    )
    if loan_id is None:
        raise _not_found()
    loan = Loan.objects.select_for_update().get(pk=loan_id)
    return _locked(pk, org, side), loan


def _wrong_state(g: Guarantee, wanted: str) -> Conflict:
    return Conflict(
        f"担保当前状态为“{g.get_state_display()}”，不能{wanted}。",
        f"The guarantee is {g.state}: it cannot be {wanted}.",
        code="guarantee_state_invalid",
        extra={"state": g.state},
    )


def _fee_now(g: Guarantee, loan: Loan) -> None:
    """Charge the fee, dated the disbursement (the loan is disbursed)."""
    assert loan.principal is not None and loan.months is not None
    g.fee = guarantee_fee(Decimal(loan.principal), Decimal(g.fee_rate), loan.months)
    g.fee_charged_on = loan.disbursed_on


def guarantee_request(
    *,
    actor: User,
    loan_id: Any,
    guarantor_id: Any,
    share: Any,
    cap: Any,
    fee_rate: Any,
    period_months: Any = None,
    liability: Any = None,
) -> Guarantee:
    require(actor, Perm.LOAN_MANAGE)
    bank = acting_organisation(actor)
    loan_pk = int_in(loan_id, "loan_id")
    months = _period_months(period_months)
    kind = _liability(liability)
    terms = GuaranteeTerms.parse(decimal_in(share, "share"), cap, decimal_in(fee_rate, "fee_rate"))
    guarantor = Organisation.objects.filter(
        pk=int_in(guarantor_id, "guarantor_id"), kind=OrganisationKind.GUARANTOR
    ).first()
    if guarantor is None:
        raise invalid(
            "guarantor_id", "guarantor_not_found", "未找到该担保机构。", "No such guarantor."
        )
    with transaction.atomic():
        loan = loan_list(actor=actor).select_for_update(of=("self",)).filter(pk=loan_pk).first()
        if loan is None or loan.bank_id != bank.pk:
            raise NotFound("未找到该贷款。", "No such loan.", code="loan_not_found")
        if loan.state not in _OPEN_LOAN_STATES:
            raise Conflict(
                f"贷款状态为“{loan.get_state_display()}”，不能再申请担保。",
                f"The loan is {loan.state}: a guarantee can no longer be asked for.",
                code="loan_state_invalid",
            )
        if Guarantee.objects.filter(loan=loan, state__in=LIVE_STATES).exists():
            raise _exists()
        if _claim_filed(loan.pk):
            raise _split_by_claim()
        try:
            with transaction.atomic():
                g = Guarantee.objects.create(
                    loan=loan,
                    bank=bank,
                    guarantor=guarantor,
                    share=terms.share,
                    cap=terms.cap,
                    fee_rate=terms.fee_rate,
                    period_months=months,
                    liability=kind,
                    requested_by=actor,
                )
        except IntegrityError:  # a concurrent request on the loan won
            raise _exists() from None
        audit_record(actor=actor, action="guarantee.request", obj=g, after=_snapshot(g))
        zh, en = _label(g)
        notify_orgs(
            [guarantor.pk],
            g,
            "guarantee.request",
            f"{bank.name} 申请{zh}（担保比例 {percent(terms.share)}，"
            f"上限 {money_str(terms.cap)} 元），待出具。",
            f"{bank.name} asks for {en} ({percent(terms.share)} of the loss, at most "
            f"{money_str(terms.cap)} yuan).",
        )
    return g


def _liability(raw: Any) -> str:
    """The guarantee's liability (保证方式): joint (连带责任保证) where none is given, the
    platform's guarantors' practice; general (一般保证) when the bank's contract says so. The
    statute reads a contract silent on it as general (民法典 art. 686 ¶2): the bank states which
    its contract agrees. 422 `liability_invalid` otherwise."""
    if raw in (None, ""):
        return LiabilityChoices.JOINT.value
    if raw not in LiabilityChoices.values:
        raise invalid(
            "liability",
            "liability_invalid",
            "保证方式应为连带责任保证（joint）或一般保证（general）。",
            "liability is joint or general.",
        )
    return str(raw)


def _general_call_grounds(
    g: Guarantee, last_day: date | None, day: date, sued_on: Any, enforcement_ref: Any
) -> tuple[date | None, str]:
    """What a call states of the borrower's suit and its enforcement: required of a general
    guarantee, refused of a joint one (422 `not_general_guarantee`).

    A general guarantor may refuse until the debt was tried or arbitrated and enforcement on the
    borrower's property left it unpaid (民法典 art. 687 ¶2; or one of that paragraph's grounds
    that dispense with it: the borrower's whereabouts unknown with no property to enforce on, its
    bankruptcy accepted by a court, proof its property cannot pay, the guarantor's written
    waiver): 422 `enforcement_required` without the ruling or the ground. It is discharged when
    the bank did not sue the borrower (or apply for arbitration) within the guarantee period
    (art. 693 ¶1): 422 `sued_on_required` without that day, 409 `guarantee_period_expired` for
    a day after the period; the call itself may come later."""
    general = g.liability == LiabilityChoices.GENERAL
    ref = enforcement_ref.strip() if isinstance(enforcement_ref, str) else ""
    if not general:
        if sued_on not in (None, "") or ref:
            raise invalid(
                "sued_on" if sued_on not in (None, "") else "enforcement_ref",
                "not_general_guarantee",
                "连带责任保证的索赔无须先起诉借款人并执行（民法典第六百八十八条），请勿填写。",
                "A joint-liability guarantee is called without first suing the borrower (Civil "
                "Code art. 688): leave sued_on and enforcement_ref out.",
            )
        return None, ""
    if sued_on in (None, ""):
        raise invalid(
            "sued_on",
            "sued_on_required",
            "一般保证须写明在保证期间内对借款人提起诉讼或者申请仲裁之日（民法典第六百九十三条）。",
            "A general guarantee is called with the day the bank sued the borrower (or applied "
            "for arbitration) within the guarantee period (Civil Code art. 693).",
        )
    sued = date_in(sued_on, "sued_on")
    if sued > day:
        raise invalid(
            "sued_on", "date_in_future", "起诉日不能晚于今日。", "sued_on is after today."
        )
    if not ref or len(ref) > MAX_ENFORCEMENT_REF:
        raise invalid(
            "enforcement_ref",
            "enforcement_required",
            "一般保证须写明就借款人财产依法强制执行仍不能履行的裁定（如终结本次执行程序裁定书文号），"
            f"或民法典第六百八十七条第二款规定的情形（不超过 {MAX_ENFORCEMENT_REF} 字）。",
            "A general guarantee is called with the ruling that enforcement on the borrower's "
            "property left the debt unpaid, or the Civil Code art. 687 ¶2 ground that dispenses "
            f"with it (at most {MAX_ENFORCEMENT_REF} characters).",
        )
    if last_day is not None and sued > last_day:
        raise _period_expired(g, last_day, general=True)
    return sued, ref


def _discharged_uncalled(g: Guarantee, last_day: date | None, day: date | None) -> bool:
    """Whether the guarantee, not yet called, is discharged on `day` by its period alone: a joint
    one whose period ended before it (民法典 art. 693 ¶2). A general one is not: a suit of the
    borrower within the period keeps it bound past it (¶1), which its call states."""
    return (
        g.liability == LiabilityChoices.JOINT
        and day is not None
        and last_day is not None
        and day > last_day
    )


def _period_expired(g: Guarantee, last_day: date, *, general: bool) -> Conflict:
    """The guarantee period ended without what keeps the guarantor bound (民法典 art. 693): a
    general guarantee's suit of the borrower (¶1), a joint one's call (¶2)."""
    if general:
        zh_what, en_what = "银行未在期间内对借款人提起诉讼或者申请仲裁", "the bank did not sue"
    else:
        zh_what, en_what = "银行未在期间内索赔", "the guarantee was not called"
    return Conflict(
        f"保证期间已于 {last_day} 届满（主债务履行期限届满后 {g.period_months} 个月，"
        f"民法典第六百九十二条、第六百九十三条），{zh_what}，担保机构不再承担保证责任。",
        f"The guarantee period ended on {last_day} ({g.period_months} months after the loan fell "
        f"due; Civil Code arts. 692, 693) and {en_what} within it: the guarantor no longer bears "
        "the guarantee.",
        code="guarantee_period_expired",
        extra={"period_end": last_day.isoformat()},
    )


def _period_months(raw: Any) -> int:
    """The guarantee period agreed, in months after the loan falls due (民法典 art. 692): 1 to
    MAX_PERIOD_MONTHS; none given, the statute's six (art. 692 ¶2). A 422 naming
    `period_months` otherwise."""
    if raw in (None, ""):
        return DEFAULT_PERIOD_MONTHS
    months = int_in(raw, "period_months")
    if not 1 <= months <= MAX_PERIOD_MONTHS:
        raise invalid(
            "period_months",
            "period_invalid",
            f"保证期间应为主债务履行期限届满后 1 至 {MAX_PERIOD_MONTHS} 个月。",
            f"period_months is 1 to {MAX_PERIOD_MONTHS} months after the loan falls due.",
        )
    return months


def period_end(g: Guarantee, loan: Loan) -> date | None:
    """The last day the bank may call the guarantee (保证期间, `guarantee_period_end`): None
    before the loan is disbursed (it has no due day yet)."""
    if loan.maturity_date is None:
        return None
    return guarantee_period_end(loan.maturity_date, int(g.period_months))


def _claim_filed(loan_id: int) -> bool:
    """Whether a compensation claim that is not rejected stands on the loan: the claim then
    fixes how its loss is split (its cover: the guarantee it saw when filed)."""
    return RiskClaim.objects.filter(loan_id=loan_id).exclude(state="rejected").exists()


def _split_by_claim() -> Conflict:
    """A guarantee asked for or issued after the loan's compensation claim was filed would bear
    a share of the loss the claim already gave to the scheme's parties: a guarantor would be
    charged twice on two bases (the claim's split and its own call)."""
    return Conflict(
        "该贷款已申请风险补偿，损失的分担已由补偿申请确定：不能再申请或出具担保。",
        "The loan has a compensation claim, which already splits its loss: a guarantee can no "
        "longer be asked for or issued on it.",
        code="settled_by_claim",
    )


def _exists() -> Conflict:
    return Conflict(
        "该贷款已有有效的担保申请或担保。",
        "The loan already has a guarantee asked for or in force.",
        code="guarantee_exists",
    )


def guarantee_decide(
    *, actor: User, guarantee: Guarantee | int, decision: Any, reason: Any = ""
) -> Guarantee:
    require(actor, Perm.GUARANTEE_ISSUE)
    guarantor = acting_organisation(actor)
    if decision not in ("issue", "decline"):
        raise invalid(
            "decision",
            "decision_invalid",
            "决定应为出具（issue）或拒绝（decline）。",
            "decision is issue or decline.",
        )
    text = reason.strip() if isinstance(reason, str) else ""
    if (decision == "decline" and not text) or len(text) > _REASON_MAX:
        raise invalid(
            "reason",
            "reason_required",
            f"拒绝须说明理由（不超过 {_REASON_MAX} 字）。",
            f"A refusal needs its reason (at most {_REASON_MAX} characters).",
        )
    with transaction.atomic():
        # The loan locked as a claim's filing locks it: a claim filed meanwhile is seen here,
        # or the claim sees this guarantee issued.
        g, loan = _locked_with_loan(guarantee, guarantor, "guarantor")
        if g.state != "requested":
            raise _wrong_state(g, "出具或拒绝" if decision == "issue" else "拒绝")
        before = _snapshot(g)
        g.decided_by = actor
        if decision == "decline":
            g.state = "declined"
            g.decline_reason = text
        else:
            if loan.state not in _OPEN_LOAN_STATES:
                # Repaid, written off or declined since the request: there is nothing left to
                # guarantee, and a fee for cover never given would be charged (and subsidised).
                raise Conflict(
                    f"贷款状态已为“{loan.get_state_display()}”，不能再出具担保。",
                    f"The loan is {loan.state} now: the guarantee can no longer be issued.",
                    code="loan_state_invalid",
                )
            if _claim_filed(loan.pk):
                raise _split_by_claim()
            # The loan's policy of any term: the two may overlap on the day of the loss.
            refuse_cover_beyond_loss(Decimal(g.share), covers_of(loan, None).get("insurer"))
            g.state = "issued"
            if loan.disbursed_on is not None:
                _fee_now(g, loan)
        g.save()
        if decision == "issue":
            audit_record(
                actor=actor, action="guarantee.issue", obj=g, before=before, after=_snapshot(g)
            )
        else:
            audit_record(
                actor=actor, action="guarantee.decline", obj=g, before=before, after=_snapshot(g)
            )
        zh, en = _label(g)
        if decision == "issue":
            fee = f"，担保费 {money_str(Decimal(g.fee))} 元" if g.fee is not None else ""
            notify_orgs(
                [g.bank_id], g, "guarantee.issue", f"{guarantor.name} 已出具{zh}{fee}。",
                f"{guarantor.name} issued {en}.",
            )  # fmt: skip
        else:
            notify_orgs(
                [g.bank_id], g, "guarantee.decline", f"{guarantor.name} 拒绝出具{zh}：{text}",
                f"{guarantor.name} declined {en}: {text}",
            )  # fmt: skip
    return g


def charge_fee_on_disbursement(*, loan: Loan, actor: User) -> Guarantee | None:
    """The issued guarantee of a loan just disbursed, its fee charged (in the disbursement's
    transaction); None when the loan has no issued guarantee without its fee."""
    g = (
        Guarantee.objects.select_for_update()
        .filter(loan_id=loan.pk, state="issued", fee__isnull=True)
        .first()
    )
    if g is None:
        return None
    before = _snapshot(g)
    _fee_now(g, loan)
    g.save()
    audit_record(
        actor=actor, action="guarantee.fee_charge", obj=g, before=before, after=_snapshot(g)
    )
    return g


def guarantee_call(
    *,
    actor: User,
    guarantee: Guarantee | int,
    today: date | None = None,
    sued_on: Any = None,
    enforcement_ref: Any = None,
) -> Guarantee:
    require(actor, Perm.LOAN_MANAGE)
    bank = acting_organisation(actor)
    day = today or timezone.localdate()
    with transaction.atomic():
        g = _locked(guarantee, bank, "bank")
        if g.state != "issued":
            raise _wrong_state(g, "索赔")
        loan = Loan.objects.get(pk=g.loan_id)
        last_day = period_end(g, loan)
        sued, ref = _general_call_grounds(g, last_day, day, sued_on, enforcement_ref)
        if last_day is not None and _discharged_uncalled(g, last_day, day):
            # 民法典 art. 693 ¶2: not called within the guarantee period, the joint-liability
            # guarantor no longer bears the guarantee. Before, a guarantee was called 20 months
            # after its loan fell due, the guarantor owing 200,000.00 the law discharged.
            raise _period_expired(g, last_day, general=False)
        if RiskCategory(loan.classification) not in NON_PERFORMING or loan.disbursed_on is None:
            raise Conflict(
                "只能在贷款被分类为次级、可疑或损失后向担保机构索赔"
                f"（该贷款为“{loan.get_classification_display()}”类）。",
                "A guarantee is called only once the loan is classified substandard, doubtful "
                f"or loss (this loan: {loan.classification}).",
                code="loan_not_non_performing",
            )
        before = _snapshot(g)
        g.loss = Decimal(loan.outstanding_principal)
        g.due = guarantor_part(Decimal(g.loss), _terms(g))
        g.state = "called"
        g.sued_on, g.enforcement_ref = sued, ref
        g.save()
        audit_record(actor=actor, action="guarantee.call", obj=g, before=before, after=_snapshot(g))
        zh, en = _label(g)
        notify_orgs(
            [g.guarantor_id], g, "guarantee.call",
            f"{bank.name} 就{zh}索赔：损失 {money_str(g.loss)} 元，应代偿 {money_str(g.due)} 元。",
            f"{bank.name} called {en}: loss {money_str(g.loss)} yuan, "
            f"{money_str(g.due)} yuan due.",
        )  # fmt: skip
    return g


def guarantee_pay(
    *, actor: User, guarantee: Guarantee | int, today: date | None = None
) -> Guarantee:
    require(actor, Perm.GUARANTEE_ISSUE)
    guarantor = acting_organisation(actor)
    with transaction.atomic():
        g = _locked(guarantee, guarantor, "guarantor")
        if g.state != "called":
            raise _wrong_state(g, "代偿")
        before = _snapshot(g)
        g.paid = Decimal(g.paid or 0) + still_to_pay(g)
        g.paid_on = today or timezone.localdate()
        g.state = "paid"
        g.save()
        audit_record(actor=actor, action="guarantee.pay", obj=g, before=before, after=_snapshot(g))
        zh, en = _label(g)
        paid = money_str(Decimal(g.paid or 0))
        notify_orgs(
            [g.bank_id], g, "guarantee.pay", f"{guarantor.name} 已就{zh}代偿 {paid} 元。",
            f"{guarantor.name} paid {paid} yuan on {en}.",
        )  # fmt: skip
    return g


def _borne(g: Guarantee) -> Decimal:
    """What the guarantor bears so far: its payments less the refunds it received."""
    return Decimal(g.paid or 0) - Decimal(g.refund_received)


def still_to_pay(g: Guarantee) -> Decimal:
    """What a called guarantee's guarantor pays now: what is due less what it bears already
    (`_borne`: a claim's settlement may call for more after a refund came in)."""
    return max(Decimal(g.due or 0) - _borne(g), Decimal("0.00"))


def refund_outstanding(g: Guarantee) -> Decimal:
    """What the bank still owes back to the guarantor: `refund` less what came in."""
    return max(Decimal(g.refund or 0) - Decimal(g.refund_received), Decimal("0.00"))


def guarantee_refund_receive(
    *,
    actor: User,
    guarantee: Guarantee | int,
    amount: Any,
    received_on: Any = None,
    today: date | None = None,
) -> Guarantee:
    """The guarantor records `amount` of the bank's refund (`refund`: what it paid beyond its
    part once the recovery was settled) as received on `received_on` (None: today); a refund
    may come in instalments. Another party's guarantee is a 404; nothing outstanding, a 409
    `no_refund_due`; more than is outstanding, a 422 `refund_exceeds_due` (with
    `outstanding`); a day after today or before the guarantor paid, a 422. The bank is told."""
    require(actor, Perm.GUARANTEE_ISSUE)
    guarantor = acting_organisation(actor)
    money = amount_in(amount, "amount", label_zh="收到金额")
    received = day_up_to(
        received_on,
        "received_on",
        today=today or timezone.localdate(),
        label_zh="收到日",
        code="date_in_future",
    )
    with transaction.atomic():
        g = _locked(guarantee, guarantor, "guarantor")
        outstanding = refund_outstanding(g)
        if outstanding <= 0:
            raise Conflict(
                "银行没有尚待返还担保机构的款项。",
                "The bank owes the guarantor nothing back.",
                code="no_refund_due",
            )
        if money > outstanding:
            raise invalid(
                "amount",
                "refund_exceeds_due",
                f"收到金额超过尚待返还的 {money_str(outstanding)} 元。",
                f"The amount exceeds the {money_str(outstanding)} yuan still owed back.",
                outstanding=money_str(outstanding),
            )
        if g.paid_on is not None and received < g.paid_on:
            raise invalid(
                "received_on",
                "date_before_payment",
                f"收到日不能早于代偿日（{g.paid_on}）。",
                f"received_on cannot be before the guarantor paid ({g.paid_on}).",
            )
        before = _snapshot(g)
        g.refund_received = Decimal(g.refund_received) + money
        g.refund_received_on = received
        g.save(update_fields=["refund_received", "refund_received_on", "updated_at"])
        audit_record(
            actor=actor,
            action="guarantee.refund_receive",
            obj=g,
            before=before,
            after={**_snapshot(g), "amount": money_str(money)},
        )
        zh, en = _label(g)
        got, left = money_str(money), money_str(refund_outstanding(g))
        notify_orgs(
            [g.bank_id], g, "guarantee.refund_receive",
            f"{guarantor.name} 已确认于 {received} 收到{zh}的返还款 {got} 元，尚待返还 {left} 元。",
            f"{guarantor.name} recorded {got} yuan of the refund on {en} as received on "
            f"{received}; {left} yuan still owed back.",
        )  # fmt: skip
    return g


def _recovery_over(loan: Loan) -> bool:
    """Whether nothing more is recovered on the platform: the loan repaid in full (by the
    borrower or a sale's price), or written off (账销案存) with its pledge no longer registered —
    a written-off loan's pledge survives the write-off and may still be sold."""
    if loan.state == LoanState.CLOSED.value:
        return True
    if loan.state != LoanState.WRITTEN_OFF.value:
        return False
    return (
        loan.pledge_id is None
        or Pledge.objects.filter(pk=loan.pledge_id)
        .exclude(state=PledgeStateChoices.REGISTERED)
        .exists()
    )


def _recovered(g: Guarantee, loan: Loan) -> Decimal:
    """The principal recovered since the call: the loss (the principal outstanding when the
    guarantee was called) less the principal outstanding now — what the borrower repaid since
    and what a sale's price repaid — or, when more, what was recorded at a sale (`proceeds`: a
    written-off loan's sale repays off the books, its outstanding principal unchanged);
    recoveries only grow. Never below 0."""
    assert g.loss is not None
    by_loan = max(Decimal(g.loss) - Decimal(loan.outstanding_principal), Decimal("0.00"))
    return max(by_loan, Decimal(g.proceeds or 0))


def _take_recovery(g: Guarantee, recovered: Decimal) -> tuple[dict[str, Any], Recovery]:
    """A paid guarantee's figures on the principal recovered: the loss shrinks, the guarantor's
    part is taken again and what it paid beyond it is to be returned to it (`refund`,
    ipfin.guarantees.domain.after_recovery), not yet saved. Answers the snapshot before, and
    the result."""
    assert g.paid is not None and g.loss is not None
    result = after_recovery(Decimal(g.paid), Decimal(g.loss), recovered, _terms(g))
    before = _snapshot(g)
    g.proceeds = recovered
    g.refund = result.refund
    return before, result


def _settle_recovery(g: Guarantee, recovered: Decimal, actor: User, *, sale: bool) -> None:
    """A paid guarantee settled on the principal recovered (`_take_recovery`); audited, the
    guarantor told."""
    told = g.refund  # what a sale that left a shortfall told the guarantor already (or None)
    before, result = _take_recovery(g, recovered)
    g.state = "settled"
    g.save()
    audit_record(
        actor=actor,
        action="guarantee.recover",
        obj=g,
        before=before,
        after={**_snapshot(g), "loss_after": money_str(result.loss), "by_sale": sale},
    )
    zh, en = _label(g)
    refund, amount = money_str(result.refund), money_str(recovered)
    earlier_zh = f"（其中 {money_str(Decimal(told))} 元已于处置成交时告知）" if told else ""
    earlier_en = f" ({money_str(Decimal(told))} yuan of it told at the sale)" if told else ""
    notify_orgs(
        [g.guarantor_id], g, "guarantee.recover",
        f"{zh}：代偿后收回本金 {amount} 元，银行应返还担保机构共 {refund} 元{earlier_zh}。",
        f"{en}: {amount} yuan of principal recovered since the call; the bank returns "
        f"{refund} yuan in all to the guarantor{earlier_en}.",
    )  # fmt: skip


def _record_interim(g: Guarantee, recovered: Decimal, actor: User) -> None:
    """A paid guarantee after a sale that left a shortfall: the principal recovered so far and
    what the bank returns for it now (`refund`), the guarantee still paid (its settlement, once
    the loan's recovery is over, takes again the whole recovered by then); audited, the
    guarantor told."""
    before, result = _take_recovery(g, recovered)
    g.save()
    audit_record(
        actor=actor,
        action="guarantee.recover_interim",
        obj=g,
        before=before,
        after={**_snapshot(g), "loss_after": money_str(result.loss), "by_sale": True},
    )
    zh, en = _label(g)
    refund, amount = money_str(result.refund), money_str(recovered)
    notify_orgs(
        [g.guarantor_id], g, "guarantee.recover",
        f"{zh}：质物处置成交，代偿后已收回本金 {amount} 元，银行应先返还担保机构 {refund} 元；"
        "借款人此后的还款在贷款结清或核销后一并结算。",
        f"{en}: the pledge's sale recovered {amount} yuan of principal since the call; the "
        f"bank returns {refund} yuan now, and what the borrower repays later is settled once "
        "the loan is closed or written off.",
    )  # fmt: skip


def guarantee_recover(
    *, actor: User, guarantee: Guarantee | int, proceeds: Any = None
) -> Guarantee:
    """The bank settles a paid guarantee once the loan's recovery is over (`_recovery_over`: the
    loan closed, or written off with its pledge sold or released; 409 `recovery_pending` before:
    what a later sale or repayment recovers would otherwise never reach the guarantor) — on the
    principal recovered since the call as the loan records it (`_recovered`), never on a figure
    typed in: a `proceeds` given must be that figure (422 `proceeds_mismatch`, with
    `recovered`). A sale that ends the recovery settles it by itself
    (`guarantee_settle_after_sale`)."""
    require(actor, Perm.LOAN_MANAGE)
    bank = acting_organisation(actor)
    stated = (
        None
        if proceeds is None
        else amount_in(proceeds, "proceeds", positive=False, label_zh="处置回收本金")
    )
    with transaction.atomic():
        g, loan = _locked_with_loan(guarantee, bank, "bank")
        if g.state != "paid":
            raise _wrong_state(g, "结算处置回收")
        if _claim_filed(g.loan_id):
            raise Conflict(
                "该贷款已申请风险补偿：担保机构的分担由补偿申请处置后结算确定。",
                "The loan has a compensation claim: its settlement after the disposal fixes the "
                "guarantor's part.",
                code="settled_by_claim",
            )
        if not _recovery_over(loan):
            raise Conflict(
                f"贷款尚在回收中（“{loan.get_state_display()}”）：待贷款结清，或核销且质押已处置"
                "或注销后结算。",
                f"The loan is still being recovered ({loan.get_state_display()}): settle once it "
                "is closed, or written off with its pledge sold or released.",
                code="recovery_pending",
            )
        recovered = _recovered(g, loan)
        if stated is not None and stated != recovered:
            raise invalid(
                "proceeds",
                "proceeds_mismatch",
                f"贷款记录的代偿后收回本金为 {money_str(recovered)} 元，与所填不符。",
                f"The loan records {money_str(recovered)} yuan of principal recovered since the "
                "call, not the figure given.",
                recovered=money_str(recovered),
            )
        _settle_recovery(g, recovered, actor, sale=False)
    return g


def guarantee_settle_after_sale(
    *, loan: Loan, actor: User, off_book: Decimal = Decimal("0.00")
) -> Guarantee | None:
    """A sale of the pledge (ipfin.disposals' completion, in its transaction, the loan's
    repayment recorded) is the recovery a guarantee waits for: a paid guarantee on the loan is
    settled on the principal recovered since its call when the sale ends the recovery (the loan
    repaid in full, or written off), else the sale's figures are recorded and it stays paid for
    the bank to settle once the shortfall is repaid or written off; a called one not yet paid
    owes its part of the loss the sale left (its `due` taken again). `off_book`: the principal
    part of what the sale applied to a written-off loan, which takes no repayment (its state is
    final). Not where a compensation claim shares the loss (its own settlement does it). None
    when no such guarantee."""
    if _claim_filed(loan.pk):
        return None
    g = (
        Guarantee.objects.select_for_update()
        .filter(loan_id=loan.pk, state__in=("called", "paid"))
        .first()
    )
    if g is None:
        return None
    fresh = Loan.objects.get(pk=loan.pk)
    assert g.loss is not None
    recovered = min(_recovered(g, fresh) + off_book, Decimal(g.loss))
    if g.state == "paid":
        if _recovery_over(fresh):
            _settle_recovery(g, recovered, actor, sale=True)
        else:
            # A shortfall the borrower still owes: what it repays later reaches the guarantor
            # too, so the guarantee stays paid, the sale's figures recorded, and the bank
            # settles it once the loan is closed or written off.
            _record_interim(g, recovered, actor)
        return g
    before = _snapshot(g)
    g.proceeds = recovered
    g.due = guarantor_part(max(Decimal(g.loss) - recovered, Decimal("0.00")), _terms(g))
    g.save()
    audit_record(
        actor=actor, action="guarantee.due_after_sale", obj=g, before=before,
        after=_snapshot(g),
    )  # fmt: skip
    zh, en = _label(g)
    due = money_str(Decimal(g.due))
    notify_orgs(
        [g.guarantor_id], g, "guarantee.recover",
        f"{zh}：质物处置成交收回本金 {money_str(recovered)} 元，应代偿金额调整为 {due} 元。",
        f"{en}: the pledge's sale recovered {money_str(recovered)} yuan of principal; "
        f"{due} yuan is now due.",
    )  # fmt: skip
    return g


def guarantee_cover(*, loan: Loan, day: date | None = None) -> ContractCover | None:
    """The loan's guarantee that bears part of its loss, as a compensation claim is filed on
    `day`: one issued, called, paid, or settled by its own recovery (its share of the loss
    stands; the settlement then leaves that guarantee as it was settled); a requested or
    declined one covers nothing, nor a joint one only issued whose guarantee period ended before
    `day` (民法典 art. 693 ¶2: never called, it is discharged). A general one stays: it binds its
    guarantor past the period when the bank sued the borrower within it (art. 693 ¶1), which the
    platform learns only at a call. `day` None: any day."""
    g = (
        Guarantee.objects.filter(loan_id=loan.pk, state__in=("issued", "called", "paid", "settled"))
        .order_by("-id")
        .first()
    )
    if g is None:
        return None
    if g.state == "issued" and _discharged_uncalled(g, period_end(g, loan), day):
        return None
    return ContractCover("guarantor", f"guarantee:{g.pk}", Decimal(g.share), Decimal(g.cap))


def guarantee_settle_by_claim(*, claim: RiskClaim, actor: User) -> Guarantee | None:
    """The claim's settlement fixes the guarantor's part of the loss (see the module docstring);
    None when the claim found no guarantee on the loan."""
    refs = [c["ref"] for c in claim.cover or [] if c["party"] == "guarantor"]
    if not refs:
        return None
    g = Guarantee.objects.select_for_update().get(pk=int(refs[0].partition(":")[2]))
    if g.state not in ("issued", "called", "paid"):
        return None  # settled or declined since: nothing more is owed either way
    assert claim.guarantor_part is not None and claim.loss is not None
    part, paid = Decimal(claim.guarantor_part), Decimal(g.paid or 0)
    # Held against what the guarantor bears so far (a sale's shortfall may have refunded part
    # before this claim): beyond it, it is called for the rest, the refunds it received
    # included; below it, the bank owes back the difference.
    owed = part - _borne(g)
    before = _snapshot(g)
    g.loss = Decimal(claim.loss)
    g.proceeds = claim.proceeds
    g.due = part
    g.refund = Decimal(g.refund_received) if owed > 0 else paid - part
    g.state = "called" if owed > 0 else "settled"
    g.save()
    audit_record(
        actor=actor,
        action="guarantee.settle_by_claim",
        obj=g,
        before=before,
        after={**_snapshot(g), "risk_claim": claim.pk},
    )
    zh, en = _label(g)
    if owed > 0:
        text = (
            f"{zh}：风险补偿申请 #{claim.pk} 处置后结算，担保机构分担 {money_str(part)} 元，"
            f"尚应代偿 {money_str(owed)} 元。",
            f"{en}: compensation claim #{claim.pk} was settled after the disposal; the "
            f"guarantor's part is {money_str(part)} yuan, {money_str(owed)} yuan still to pay.",
        )
    else:
        left = money_str(refund_outstanding(g))
        text = (
            f"{zh}：风险补偿申请 #{claim.pk} 处置后结算，担保机构分担 {money_str(part)} 元，"
            f"银行尚应返还担保机构 {left} 元。",
            f"{en}: compensation claim #{claim.pk} was settled after the disposal; the "
            f"guarantor's part is {money_str(part)} yuan, the bank returns {left} yuan.",
        )
    notify_orgs([g.guarantor_id, g.bank_id], g, "guarantee.settle_by_claim", *text)
    return g
