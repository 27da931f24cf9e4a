"""Writes of IP insurance (ipfin.insurance.models): audited, the other parties told.

- `policy_issue` (the lead insurer, `INSURANCE_ISSUE`): the kind, the policyholder (an enterprise,
  or a park: 一园一保), its rights (numbers; none: the enterprise or the park is the subject), the
  sum insured, the rate (premium = rate × sum insured, half-up to the fen), the deductible, the
  term, and the co-insurers with their shares (the lead's share is what they leave: the shares
  sum to exactly 1); the premium is split among them to the fen by largest remainder.
  Pledge-financing guarantee insurance (质押融资保证保险) is on one loan: the policyholder is its
  borrower, the beneficiary its bank, `loss_share` the share of the bank's loss it pays; one such
  policy on a loan at a time (terms that overlap an accepted one's: 409 `loan_already_insured`).
- `policy_accept` (the insured bank's loan staff, `LOAN_MANAGE`): the bank accepts a
  pledge-financing guarantee insurance issued on its loan. Until then the policy covers nothing
  (the waterfall, a claim's notice: 409 `policy_not_accepted`) and keeps no other policy off the
  loan: an insurer that knew a loan's ids could otherwise insure it first and shut out the
  insurer the bank had chosen. Acceptance is refused over an accepted policy's term (409
  `loan_already_insured`, under the loan's row lock) and once the loan has a compensation claim
  (409 `loan_has_claim`).
- `claim_notify` (the policyholder's or the beneficiary's staff): notice of a loss, the amount
  claimed and what happened, within the policy's term.
- `claim_assess` (the lead insurer): the loss it assesses; the payout is the loss less the
  deductible (guarantee insurance: loss_share × the bank's loss), within what is left of the sum
  insured once the claims paid and those assessed and not yet paid are taken off; or a rejection
  with its reason.
- `claim_pay` (the lead insurer): pays the payout, split among the co-insurers by share.

Inside the risk waterfall (issue 16; ipfin.risk.signals): a compensation claim filed on a loan
splits the loss with its pledge-financing guarantee insurance policy in force that day (one at
a time: their terms never overlap): its `loss_share`, within its sum insured (`policy_cover`). The
claim's settlement after the disposal fixes the insurer's part (`claim_from_settlement`): the
bank's notified claim on the policy is assessed at that part, or, if the bank gave no notice, a
claim is opened and assessed at it, in the bank's name; the lead insurer then pays it
(`claim_pay`), split among the co-insurers. What the policy already paid or assessed counts
towards that part (never paid twice), and while a compensation claim that took the policy into
its cover stands, the lead insurer assesses no claim on it itself (409 `settled_by_claim`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.accounts.permissions import Perm, acting_organisation, require, require_login
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.display import yuan_en, yuan_exact
from ipfin.common.errors import Conflict, NotFound, PermissionDenied, invalid
from ipfin.common.inputs import amount_in, date_in, day_up_to, decimal_in, int_in
from ipfin.common.money import money_str, money_str_or_none
from ipfin.insurance.domain import (
    CoInsurance,
    ProductKind,
    claim_payout,
    guarantee_insurance_part,
    premium,
)
from ipfin.insurance.models import COVERING, InsuranceClaim, Policy, PolicyMember
from ipfin.loans.models import Loan
from ipfin.registry.models import Right, RightOwner
from ipfin.risk.domain.ratios import ratio_in, ratio_text
from ipfin.risk.models import RiskClaim
from ipfin.risk.signals import ContractCover, covers_of, refuse_cover_beyond_loss

__all__ = [
    "claim_assess",
    "claim_from_settlement",
    "claim_notify",
    "claim_pay",
    "policy_accept",
    "policy_cover",
    "policy_issue",
]

MAX_RIGHTS = 200
MAX_MEMBERS = 10
_TEXT_MAX = 1000


def _snapshot(p: Policy) -> dict[str, Any]:
    return {
        "kind": p.kind,
        "subject": p.subject,
        "policyholder": p.policyholder_id,
        "beneficiary": p.beneficiary_id,
        "loan": p.loan_id,
        "sum_insured": money_str(Decimal(p.sum_insured)),
        "rate": ratio_text(Decimal(p.rate)),
        "premium": money_str(Decimal(p.premium)),
        "deductible": money_str(Decimal(p.deductible)),
        "loss_share": None if p.loss_share is None else ratio_text(Decimal(p.loss_share)),
        "term": [p.starts_on.isoformat(), p.ends_on.isoformat()],
        "paid_out": money_str(Decimal(p.paid_out)),
        "refund_due": money_str_or_none(p.refund_due),
        "refund_due_on": p.refund_due_on.isoformat() if p.refund_due_on else None,
        "refund_received_on": p.refund_received_on.isoformat() if p.refund_received_on else None,
        "accepted_at": p.accepted_at.isoformat() if p.accepted_at else None,
        "members": [
            {
                "insurer": m.insurer_id,
                "share": ratio_text(Decimal(m.share)),
                "premium_part": money_str(Decimal(m.premium_part)),
            }
            for m in p.members.order_by("position")
        ],
    }


def _claim_snapshot(c: InsuranceClaim) -> dict[str, Any]:
    return {
        "policy": c.policy_id,
        "claimant": c.claimant_id,
        "state": c.state,
        "amount_claimed": money_str(Decimal(c.amount_claimed)),
        "loss_on": c.loss_on.isoformat() if c.loss_on else None,
        "assessed_loss": money_str_or_none(c.assessed_loss),
        "payout": money_str_or_none(c.payout),
        "parts": c.parts,
    }


def _org(raw: Any, field: str, kinds: tuple[str, ...], zh: str) -> Organisation:
    found = Organisation.objects.filter(pk=int_in(raw, field), kind__in=kinds).first()
    if found is None:
        raise invalid(field, "organisation_not_found", f"未找到该{zh}。", f"No such {field}.")
    return found


def _members(lead: Organisation, raw: Any) -> CoInsurance:
    """The pool: the co-insurers given ({insurer_id, share}), the lead first with the share
    they leave (all of it when none is given)."""
    listed = raw if isinstance(raw, list) else []
    if len(listed) > MAX_MEMBERS:
        raise invalid(
            "co_insurers",
            "members_too_many",
            f"共保机构至多 {MAX_MEMBERS} 家。",
            f"At most {MAX_MEMBERS} co-insurers.",
        )
    others: list[tuple[int, Decimal]] = []
    for i, item in enumerate(listed):
        entry = item if isinstance(item, dict) else {}
        insurer = _org(
            entry.get("insurer_id"),
            f"co_insurers[{i}].insurer_id",
            (OrganisationKind.INSURER,),
            "保险机构",
        )
        share = ratio_in(
            decimal_in(entry.get("share"), f"co_insurers[{i}].share"),
            f"co_insurers[{i}].share",
            "share_invalid",
            "共保份额",
        )
        if insurer.pk == lead.pk:
            raise invalid(
                f"co_insurers[{i}].insurer_id",
                "insurer_repeated",
                "主承保机构不必列入共保机构（其份额为其余份额之外的部分）。",
                "The lead insurer is not listed among the co-insurers (it keeps the rest).",
            )
        others.append((insurer.pk, share))
    rest = Decimal(1) - sum((share for _, share in others), Decimal(0))
    if rest <= 0:
        raise invalid(
            "co_insurers",
            "shares_sum_invalid",
            "共保机构的份额之和应小于 1（其余由主承保机构承担）。",
            "The co-insurers' shares must leave the lead insurer a share above 0.",
        )
    return CoInsurance.of([(lead.pk, rest), *others])


def _refuse_rights_not_held(rights: list[Right], policyholder: Organisation) -> None:
    """The policyholder must hold an insurable interest in what it insures (保险法 arts. 12, 48):
    each right is held today by the enterprise, or, for a park's policy (一园一保), by one of its
    member enterprises (422 `right_not_held`, naming the first that is not). Before, an insurer
    could issue enterprise A a policy on enterprise B's patent, whose premium then counted in A's
    premium subsidy."""
    if not rights:
        return
    if policyholder.kind == OrganisationKind.PARK:
        holders = Organisation.objects.filter(park_id=policyholder.pk).values("pk")
    else:
        holders = Organisation.objects.filter(pk=policyholder.pk).values("pk")
    held = set(
        RightOwner.objects.filter(
            right_id__in=[r.pk for r in rights], valid_to__isnull=True, organisation_id__in=holders
        ).values_list("right_id", flat=True)
    )
    for right in rights:
        if right.pk not in held:
            raise invalid(
                "rights",
                "right_not_held",
                f"{right.number} 不在投保人（{policyholder.name}）名下，投保人对其没有保险利益。",
                f"{right.number} is not held by the policyholder ({policyholder.name}): it has "
                "no insurable interest in it.",
                number=right.number,
            )


def _refuse_second_cover(
    loan: Loan, starts_on: date, ends_on: date, besides: int | None = None
) -> None:
    """One pledge-financing guarantee insurance on a loan at a time: the waterfall takes one
    policy's share of the loss (`policy_cover`), so a second one over the same days would be
    paid for and never pay — or, dated earlier, take the place of the policy the bank relies on.
    Only accepted policies count (the bank's choice; `besides`: the one being accepted). Under
    the loan's row lock, so that two at once cannot both pass (409 `loan_already_insured`,
    naming the policy in force and its term)."""
    Loan.objects.select_for_update().filter(pk=loan.pk).values_list("pk", flat=True).get()
    other = (
        Policy.objects.filter(
            COVERING,
            loan_id=loan.pk,
            kind=ProductKind.PLEDGE_GUARANTEE.value,
            starts_on__lte=ends_on,
            ends_on__gte=starts_on,
        )
        .exclude(pk=besides or 0)
        .order_by("starts_on", "id")
        .first()
    )
    if other is not None:
        raise Conflict(
            f"该贷款已有质押融资保证保险保单 #{other.pk}（保险期间 {other.starts_on} 至 "
            f"{other.ends_on}），保险期间不能重叠。",
            f"The loan is insured already by policy #{other.pk} ({other.starts_on} to "
            f"{other.ends_on}): the terms may not overlap.",
            code="loan_already_insured",
            extra={
                "policy_id": other.pk,
                "starts_on": other.starts_on.isoformat(),
                "ends_on": other.ends_on.isoformat(),
            },
        )


def _refuse_once_claimed(loan: Loan) -> None:
    """A loan whose loss is being shared already (`policy_cover` is read when its compensation
    claim is filed): a policy issued or accepted now could never pay (`settled_by_claim`), and
    its premium would be owed (409 `loan_has_claim`)."""
    if RiskClaim.objects.filter(loan_id=loan.pk).exclude(state="rejected").exists():
        raise Conflict(
            "该贷款已申请风险补偿，损失已在分担中，不能再投保质押融资保证保险。",
            "The loan has a compensation claim sharing its loss: it cannot be insured now.",
            code="loan_has_claim",
        )


def policy_issue(*, actor: User, data: dict[str, Any]) -> Policy:
    require(actor, Perm.INSURANCE_ISSUE)
    lead = acting_organisation(actor)
    kind_raw = data.get("kind")
    if kind_raw not in {k.value for k in ProductKind}:
        raise invalid(
            "kind",
            "kind_invalid",
            "请选择险种。",
            "kind is one of " + ", ".join(k.value for k in ProductKind) + ".",
        )
    kind = ProductKind(kind_raw)
    sum_insured = amount_in(data.get("sum_insured"), "sum_insured", label_zh="保险金额")
    rate = ratio_in(decimal_in(data.get("rate"), "rate"), "rate", "rate_invalid", "保险费率")
    deductible = amount_in(
        data.get("deductible", "0"), "deductible", positive=False, label_zh="免赔额"
    )
    starts_on = date_in(data.get("starts_on"), "starts_on")
    ends_on = date_in(data.get("ends_on"), "ends_on")
    if ends_on < starts_on:
        raise invalid(
            "ends_on", "term_invalid", "终保日不能早于起保日。", "ends_on is before starts_on."
        )
    pool = _members(lead, data.get("co_insurers"))
    loan: Loan | None = None
    beneficiary: Organisation | None = None
    loss_share: Decimal | None = None
    rights: list[Right] = []
    if kind is ProductKind.PLEDGE_GUARANTEE:
        # The insurer names the loan, its borrower and its bank, as the application it insures
        # states them: a loan that is not exactly that is "not found", whichever part differs, so
        # that an insurer learns nothing of a bank's loans it did not already know.
        loan_pk = int_in(data.get("loan_id"), "loan_id")
        holder_pk = int_in(data.get("policyholder_id"), "policyholder_id")
        bank_pk = int_in(data.get("beneficiary_id"), "beneficiary_id")
        loan = Loan.objects.filter(
            pk=loan_pk, enterprise_id=holder_pk, bank_id=bank_pk, disbursed_on__isnull=False
        ).first()
        if loan is None:
            raise invalid(
                "loan_id",
                "loan_not_found",
                "未找到该借款企业在该银行的已放款贷款。",
                "No disbursed loan with that id, borrower and bank.",
            )
        _refuse_once_claimed(loan)
        policyholder = Organisation.objects.get(pk=loan.enterprise_id)
        beneficiary = Organisation.objects.get(pk=loan.bank_id)
        loss_share = ratio_in(
            decimal_in(data.get("loss_share"), "loss_share"),
            "loss_share",
            "share_invalid",
            "赔付比例",
        )
        if loss_share == 0:
            raise invalid(
                "loss_share", "share_invalid", "赔付比例应大于 0。", "loss_share must be above 0."
            )
        subject = "loan"
    else:
        policyholder = _org(
            data.get("policyholder_id"),
            "policyholder_id",
            (OrganisationKind.ENTERPRISE, OrganisationKind.PARK),
            "投保企业或园区",
        )
        numbers = data.get("rights") or []
        if not isinstance(numbers, list) or len(numbers) > MAX_RIGHTS:
            raise invalid(
                "rights",
                "rights_invalid",
                f"保险标的至多 {MAX_RIGHTS} 项知识产权。",
                f"At most {MAX_RIGHTS} rights.",
            )
        rights = list(Right.objects.filter(number__in=[str(n) for n in numbers]))
        if len(rights) != len(set(map(str, numbers))):
            raise invalid(
                "rights",
                "right_not_found",
                "保险标的中有未登记的知识产权。",
                "A right listed is not on the register.",
            )
        _refuse_rights_not_held(rights, policyholder)
        if policyholder.kind == OrganisationKind.PARK:
            subject = "park"
        elif not rights:
            subject = "enterprise"
        else:
            subject = "right" if len(rights) == 1 else "package"
    charged = premium(sum_insured, rate)
    parts = pool.split(charged)
    with transaction.atomic():
        if loan is not None:
            _refuse_second_cover(loan, starts_on, ends_on)
        policy = Policy.objects.create(
            insurer=lead,
            kind=kind.value,
            subject=subject,
            policyholder=policyholder,
            beneficiary=beneficiary,
            loan=loan,
            sum_insured=sum_insured,
            rate=rate,
            premium=charged,
            deductible=deductible,
            loss_share=loss_share,
            starts_on=starts_on,
            ends_on=ends_on,
            issued_by=actor,
        )
        policy.rights.set(rights)
        PolicyMember.objects.bulk_create(
            [
                PolicyMember(
                    policy=policy,
                    insurer_id=insurer,
                    position=n,
                    share=share,
                    premium_part=parts[insurer],
                )
                for n, (insurer, share) in enumerate(pool.members)
            ]
        )
        audit_record(
            actor=actor, action="insurance.policy_issue", obj=policy, after=_snapshot(policy)
        )
        notify_orgs(
            [
                policyholder.pk,
                beneficiary.pk if beneficiary and loan is None else None,  # below: to accept
                *(insurer for insurer, _ in pool.members[1:]),
            ],
            policy,
            "insurance.policy_issue",
            f"{lead.name} 出具了{kind.label_zh}保单 #{policy.pk}："
            f"保险金额 {yuan_exact(sum_insured)}，"
            f"保险费 {yuan_exact(charged)}。",
            f"{lead.name} issued policy #{policy.pk} ({kind.value}): sum insured "
            f"{yuan_en(sum_insured)}, premium {yuan_en(charged)}.",
        )
        if loan is not None and beneficiary is not None:
            notify_orgs(
                [beneficiary.pk],
                policy,
                "insurance.policy_to_accept",
                f"保单 #{policy.pk} 承保贷款 #{loan.pk}，须经本行确认后方纳入风险分担。",
                f"Policy #{policy.pk} insures loan #{loan.pk}: it shares the loss only once "
                "your bank accepts it.",
            )
    return policy


def policy_accept(*, actor: User, policy_id: Any) -> Policy:
    """The insured bank accepts a pledge-financing guarantee insurance on its loan (see the
    module docstring): a policy not on one of its loans is a 404; one accepted already, a 409
    `policy_accepted`."""
    require(actor, Perm.LOAN_MANAGE)
    bank = acting_organisation(actor)
    with transaction.atomic():
        policy = (
            Policy.objects.select_for_update()
            .filter(
                pk=int_in(policy_id, "policy_id"),
                kind=ProductKind.PLEDGE_GUARANTEE.value,
                beneficiary_id=bank.pk,
                loan__isnull=False,
            )
            .first()
        )
        if policy is None:
            raise NotFound("未找到该保单。", "No such policy.", code="policy_not_found")
        if not policy.awaiting_acceptance:
            raise Conflict(
                f"保单 #{policy.pk} 已于 {timezone.localtime(policy.accepted_at):%Y-%m-%d} 确认。",
                f"Policy #{policy.pk} was accepted already.",
                code="policy_accepted",
            )
        loan = policy.loan
        assert loan is not None  # filtered above
        _refuse_second_cover(loan, policy.starts_on, policy.ends_on, besides=policy.pk)
        _refuse_once_claimed(loan)
        # With the loan's guarantee, at most the whole loss (409 `cover_exceeds_loss`; the
        # guarantees app refuses the same when a guarantee is issued beside an accepted policy).
        assert policy.loss_share is not None  # a loan's policy has its share
        refuse_cover_beyond_loss(Decimal(policy.loss_share), covers_of(loan, None).get("guarantor"))
        before = _snapshot(policy)
        policy.accepted_by = actor
        policy.accepted_at = timezone.now()
        policy.save(update_fields=["accepted_by", "accepted_at"])
        audit_record(
            actor=actor,
            action="insurance.policy_accept",
            obj=policy,
            before=before,
            after=_snapshot(policy),
        )
        notify_orgs(
            [policy.insurer_id, policy.policyholder_id, *pool_member_ids(policy)],
            policy,
            "insurance.policy_accept",
            f"{bank.name} 已确认保单 #{policy.pk}（贷款 #{loan.pk}）。",
            f"{bank.name} accepted policy #{policy.pk} (loan #{loan.pk}).",
        )
    return policy


def policy_refund_receive(
    *, actor: User, policy_id: Any, received_on: Any = None, today: date | None = None
) -> Policy:
    """The lead insurer records that the insured bank's refund (`refund_due`: what the insurers
    had paid beyond their part of a compensation claim's settlement) came in, on `received_on`
    (None: today). A policy not the actor's insurer's as lead is a 404; one with nothing owed
    back, a 409 `no_refund_due`; recorded already, a 409 `refund_received`; a day after today,
    before the policy began or before the settlement that fixed the refund (`refund_due_on`),
    a 422. The insured bank and the co-insurers are told."""
    require(actor, Perm.INSURANCE_ISSUE)
    lead = acting_organisation(actor)
    received = day_up_to(
        received_on,
        "received_on",
        today=today or timezone.localdate(),
        label_zh="收到日",
        code="date_in_future",
    )
    with transaction.atomic():
        policy = (
            Policy.objects.select_for_update()
            .filter(pk=int_in(policy_id, "policy_id"), insurer_id=lead.pk)
            .first()
        )
        if policy is None:
            raise NotFound("未找到该保单。", "No such policy.", code="policy_not_found")
        if policy.refund_due is None or Decimal(policy.refund_due) <= 0:
            raise Conflict(
                f"保单 #{policy.pk} 没有银行应返还的款项。",
                f"Policy #{policy.pk}: the bank owes the insurers nothing back.",
                code="no_refund_due",
            )
        if policy.refund_received_on is not None:
            raise Conflict(
                f"保单 #{policy.pk} 的返还款已于 {policy.refund_received_on} 记为收到。",
                f"Policy #{policy.pk}: the refund was recorded as received on "
                f"{policy.refund_received_on}.",
                code="refund_received",
            )
        if received < policy.starts_on:
            raise invalid(
                "received_on",
                "date_before_policy",
                f"收到日不能早于起保日（{policy.starts_on}）。",
                f"received_on cannot be before the policy began ({policy.starts_on}).",
            )
        if policy.refund_due_on is not None and received < policy.refund_due_on:
            raise invalid(
                "received_on",
                "date_before_settlement",
                f"收到日不能早于确定返还款的结算日（{policy.refund_due_on}）。",
                f"received_on cannot be before the settlement that fixed the refund "
                f"({policy.refund_due_on}).",
            )
        before = _snapshot(policy)
        policy.refund_received_on = received
        policy.refund_received_by = actor
        policy.save(update_fields=["refund_received_on", "refund_received_by"])
        audit_record(
            actor=actor,
            action="insurance.refund_receive",
            obj=policy,
            before=before,
            after=_snapshot(policy),
        )
        refund_due = Decimal(policy.refund_due)
        notify_orgs(
            [policy.beneficiary_id, *pool_member_ids(policy)],
            policy,
            "insurance.refund_receive",
            f"{lead.name} 已确认于 {received} 收到保单 #{policy.pk} 的返还款 "
            f"{yuan_exact(refund_due)}。",
            f"{lead.name} recorded the refund of {yuan_en(refund_due)} on policy #{policy.pk} "
            f"as received on {received}.",
        )
    return policy


def _policy_for_claimant(actor: User, policy_id: Any) -> tuple[Organisation, Policy]:
    """The policy under its row lock, if the actor's organisation is a party to it (404
    otherwise); only its policyholder or its insured bank may claim (403 for its insurers). On a
    loan's guarantee insurance (质押融资保证保险) the insured is the bank: the borrower who took
    the policy out is its policyholder, and it is its own default the policy pays for (保险法
    art. 12 ¶5, art. 22: the insured claims): only the bank gives notice (403 for the borrower;
    before, the borrower's notice was paid to the borrower and used up the sum insured)."""
    user = require_login(actor)
    org = acting_organisation(user)
    policy = Policy.objects.select_for_update().filter(pk=int_in(policy_id, "policy_id")).first()
    parties = set()
    if policy is not None:
        parties = {policy.insurer_id, policy.policyholder_id, policy.beneficiary_id}
        parties |= set(policy.members.values_list("insurer_id", flat=True))
    if policy is None or org.pk not in parties:
        raise NotFound("未找到该保单。", "No such policy.", code="policy_not_found")
    if org.pk not in (policy.policyholder_id, policy.beneficiary_id):
        raise PermissionDenied(
            "只有投保人或被保险银行可以报案。",
            "Only the policyholder or the insured bank may give notice of a claim.",
            code="forbidden",
        )
    if policy.loan_id is not None and org.pk != policy.beneficiary_id:
        raise PermissionDenied(
            "贷款保证保险的被保险人是贷款银行，须由银行报案；借款人不能就本保单索赔。",
            "On a loan's guarantee insurance the insured is the lending bank: the bank gives "
            "notice, the borrower cannot claim on it.",
            code="forbidden",
        )
    return org, policy


def claim_notify(
    *,
    actor: User,
    policy_id: Any,
    amount: Any,
    description: Any,
    loss_on: Any = None,
    today: date | None = None,
) -> InsuranceClaim:
    """Notice of a loss that happened on `loss_on` (出险日; None: today) within the policy's
    term: 409 `policy_not_in_force` for a loss outside it, 422 `loss_in_future` for a day after
    today. The notice itself may come after the term: the insurer is liable for an insured event
    within the term (保险法 art. 14), and the insured gives notice "after knowing" of it (art. 21);
    before, a loss on the term's last days whose notice came a day late was refused. How late
    a notice may be is not the platform's to decide: the two-year limitation of art. 26 is a
    defence for the insurer to raise (民法典 art. 193: a court does not apply it on its own)."""
    claimed = amount_in(amount, "amount", label_zh="索赔金额")
    text = description.strip() if isinstance(description, str) else ""
    if not text or len(text) > _TEXT_MAX:
        raise invalid(
            "description",
            "description_required",
            f"请说明出险经过（不超过 {_TEXT_MAX} 字）。",
            f"Say what happened (at most {_TEXT_MAX} characters).",
        )
    day = today or timezone.localdate()
    loss_day = day_up_to(loss_on, "loss_on", today=day, label_zh="出险日", code="loss_in_future")
    with transaction.atomic():
        org, policy = _policy_for_claimant(actor, policy_id)
        if policy.awaiting_acceptance:
            raise Conflict(
                f"保单 #{policy.pk} 尚未经被保险银行确认，不承担保险责任。",
                f"Policy #{policy.pk} has not been accepted by the insured bank: it covers "
                "nothing yet.",
                code="policy_not_accepted",
            )
        if not policy.starts_on <= loss_day <= policy.ends_on:
            raise Conflict(
                f"保单保险期间为 {policy.starts_on} 至 {policy.ends_on}，"
                f"出险日 {loss_day} 不在期间内。",
                f"The policy runs from {policy.starts_on} to {policy.ends_on}; the loss day "
                f"{loss_day} is outside.",
                code="policy_not_in_force",
                extra={"loss_on": loss_day.isoformat()},
            )
        claim = InsuranceClaim.objects.create(
            policy=policy,
            claimant=org,
            amount_claimed=claimed,
            description=text,
            loss_on=loss_day,
            notified_by=actor,
        )
        audit_record(
            actor=actor, action="insurance.claim_notify", obj=claim, after=_claim_snapshot(claim)
        )
        notify_orgs(
            [policy.insurer_id],
            claim,
            "insurance.claim_notify",
            f"{org.name} 就保单 #{policy.pk} 报案，索赔 {yuan_exact(claimed)}。",
            f"{org.name} gave notice of a claim of {yuan_en(claimed)} on policy #{policy.pk}.",
        )
    return claim


def _lead_claim(actor: User, claim_id: Any) -> tuple[Organisation, InsuranceClaim]:
    """The lead insurer's claim, locked after its policy: the order a compensation claim's
    settlement takes them (`claim_from_settlement`), so that the two never deadlock."""
    require(actor, Perm.INSURANCE_ISSUE)
    lead = acting_organisation(actor)
    mine = InsuranceClaim.objects.filter(
        pk=int_in(claim_id, "insurance_claim_id"), policy__insurer_id=lead.pk
    )
    policy_id = mine.values_list("policy_id", flat=True).first()
    if policy_id is None:
        raise NotFound("未找到该理赔案件。", "No such claim.", code="claim_not_found")
    Policy.objects.select_for_update().filter(pk=policy_id).first()
    claim = mine.select_for_update().select_related("policy").get()
    return lead, claim


def _shared_by_claim(policy: Policy) -> bool:
    """Whether a compensation claim standing on the policy's loan took the policy into its cover
    (its settlement then fixes the insurer's part). A claim filed after the policy's term took
    none: a notice of a loss within the term, given after it (保险法 art. 21), is then assessed
    by the insurer as any other; it was refused for good (409 `settled_by_claim`), the claim's
    settlement never reaching a policy it did not cover."""
    if policy.loan_id is None:
        return False
    ref = f"policy:{policy.pk}"
    covers = RiskClaim.objects.filter(loan_id=policy.loan_id).exclude(state="rejected")
    return any(
        c.get("ref") == ref for cover in covers.values_list("cover", flat=True) for c in cover or []
    )


def _assessed_unpaid(policy: Policy, *, besides: int | None = None) -> Decimal:
    """What the policy's claims assessed and not yet paid will pay (but claim `besides`): it
    counts against the sum insured as what was paid does (read under the policy's lock, which
    every assessment and payment takes)."""
    claims = InsuranceClaim.objects.filter(policy=policy, state="assessed")
    if besides is not None:
        claims = claims.exclude(pk=besides)
    return Decimal(str(claims.aggregate(s=Sum("payout"))["s"] or 0))


def claim_assess(
    *, actor: User, claim_id: Any, decision: Any, loss: Any = None, reason: Any = ""
) -> InsuranceClaim:
    with transaction.atomic():
        _lead, claim = _lead_claim(actor, claim_id)
        if claim.state != "notified":
            raise Conflict(
                f"理赔案件当前为“{claim.get_state_display()}”，不能再定损。",
                f"The claim is {claim.state}: it cannot be assessed again.",
                code="claim_state_invalid",
            )
        before = _claim_snapshot(claim)
        policy = Policy.objects.select_for_update().get(pk=claim.policy_id)
        if decision == "reject":
            text = reason.strip() if isinstance(reason, str) else ""
            if not text or len(text) > 500:
                raise invalid(
                    "reason",
                    "reason_required",
                    "拒赔须说明理由（不超过 500 字）。",
                    "A rejection needs its reason (at most 500 characters).",
                )
            claim.state, claim.reject_reason = "rejected", text
        elif decision == "pay":
            if _shared_by_claim(policy):
                raise Conflict(
                    "该贷款已申请风险补偿：保险的分担由补偿申请处置后结算确定。",
                    "The loan has a compensation claim: its settlement after the disposal fixes "
                    "the insurer's part.",
                    code="settled_by_claim",
                )
            assessed = amount_in(loss, "loss", positive=False, label_zh="核定损失")
            # Paid, or assessed and waiting to be paid: a second claim assessed against the sum
            # insured as it stood before the first was paid could then never be paid.
            paid_before = Decimal(policy.paid_out) + _assessed_unpaid(policy, besides=claim.pk)
            if policy.kind == ProductKind.PLEDGE_GUARANTEE.value:
                assert policy.loss_share is not None
                payout = guarantee_insurance_part(
                    assessed, Decimal(policy.loss_share), Decimal(policy.sum_insured), paid_before
                )
            else:
                payout = claim_payout(
                    assessed, Decimal(policy.deductible), Decimal(policy.sum_insured), paid_before
                )
            pool = _pool(policy)
            claim.assessed_loss = assessed
            claim.payout = payout
            claim.parts = {str(k): money_str(v) for k, v in pool.split(payout).items()}
            claim.state = "assessed"
        else:
            raise invalid(
                "decision",
                "decision_invalid",
                "决定应为赔付（pay）或拒赔（reject）。",
                "decision is pay or reject.",
            )
        claim.save()
        audit_record(
            actor=actor,
            action="insurance.claim_assess",
            obj=claim,
            before=before,
            after=_claim_snapshot(claim),
        )
        if claim.state == "assessed":
            outcome_zh = (
                f"核定损失 {yuan_exact(claim.assessed_loss)}，赔付 {yuan_exact(claim.payout)}"
            )
            outcome_en = (
                f"loss assessed at {yuan_en(claim.assessed_loss)}, payout {yuan_en(claim.payout)}"
            )
        else:
            outcome_zh = f"拒赔：{claim.reject_reason}"
            outcome_en = f"rejected: {claim.reject_reason}"
        notify_orgs(
            [claim.claimant_id],
            claim,
            "insurance.claim_assess",
            f"保单 #{policy.pk} 的理赔案件 #{claim.pk}：{outcome_zh}。",
            f"Claim #{claim.pk} on policy #{policy.pk}: {outcome_en}.",
        )
    return claim


def claim_pay(*, actor: User, claim_id: Any, today: date | None = None) -> InsuranceClaim:
    with transaction.atomic():
        _lead, claim = _lead_claim(actor, claim_id)
        if claim.state != "assessed":
            raise Conflict(
                f"理赔案件当前为“{claim.get_state_display()}”，不能赔付。",
                f"The claim is {claim.state}: it cannot be paid.",
                code="claim_state_invalid",
            )
        policy = Policy.objects.select_for_update().get(pk=claim.policy_id)
        assert claim.payout is not None
        payout = Decimal(claim.payout)
        if Decimal(policy.paid_out) + payout > Decimal(policy.sum_insured):
            raise Conflict(
                "赔付将超过保险金额，请重新定损。",
                "Paying this would exceed the sum insured: assess the claim again.",
                code="sum_insured_exceeded",
            )
        before = _claim_snapshot(claim)
        claim.state = "paid"
        claim.paid_on = today or timezone.localdate()
        claim.save()
        policy.paid_out = Decimal(policy.paid_out) + payout
        policy.save(update_fields=["paid_out"])
        audit_record(
            actor=actor,
            action="insurance.claim_pay",
            obj=claim,
            before=before,
            after={**_claim_snapshot(claim), "policy_paid_out": money_str(policy.paid_out)},
        )
        notify_orgs(
            [claim.claimant_id],
            claim,
            "insurance.claim_pay",
            f"保单 #{policy.pk} 的理赔案件 #{claim.pk} 已赔付 {yuan_exact(payout)}。",
            f"Claim #{claim.pk} on policy #{policy.pk}: {yuan_en(payout)} paid.",
        )
    return claim


def pool_member_ids(policy: Policy) -> list[int]:
    """The co-insurers of a policy besides its lead (each shares its payouts)."""
    return list(
        policy.members.exclude(insurer_id=policy.insurer_id).values_list("insurer_id", flat=True)
    )


def _waterfall_policy(loan_id: int, day: date | None) -> Policy | None:
    """The loan's covering guarantee insurance in force on `day` (None: of any term, the
    earliest: what a guarantee issued beside it is weighed against)."""
    rows = Policy.objects.filter(COVERING, loan_id=loan_id, kind=ProductKind.PLEDGE_GUARANTEE.value)
    if day is not None:
        rows = rows.filter(starts_on__lte=day, ends_on__gte=day)
    return rows.order_by("starts_on", "id").first()


def policy_cover(*, loan: Loan, day: date | None) -> ContractCover | None:
    """The loan's pledge-financing guarantee insurance in force on `day` (None: of any term): its
    share of the bank's
    loss, within its sum insured. Not within what is left of it: the policy is on this one loan,
    so what it paid before is part of what it owes for this loss, and the settlement counts it
    towards the insurer's part (`claim_from_settlement`). Capped here as well, an earlier payout
    was taken off twice: 50,000.00 paid on a policy owing 80,000.00 of the loss left it 50,000.00
    to bear, all paid already, and the bank 30,000.00 short."""
    policy = _waterfall_policy(loan.pk, day)
    if policy is None:
        return None
    assert policy.loss_share is not None
    return ContractCover(
        "insurer", f"policy:{policy.pk}", Decimal(policy.loss_share), Decimal(policy.sum_insured)
    )


def _settlement_told(
    actor: User,
    claim: RiskClaim,
    policy: Policy,
    obj: Policy | InsuranceClaim,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    zh: str,
    en: str,
) -> None:
    """What a compensation claim's settlement changed on the policy (what the bank owes back) or
    one of its claims (its payout), audited (naming the claim) and told to the policy's insurers
    and the bank."""
    action = (
        "insurance.refund_by_settlement"
        if isinstance(obj, Policy)
        else "insurance.claim_by_settlement"
    )
    audit_record(
        actor=actor, action=action, obj=obj, before=before, after={**after, "risk_claim": claim.pk}
    )
    notify_orgs([policy.insurer_id, *pool_member_ids(policy), claim.bank_id], obj, action, zh, en)


def _pool(policy: Policy) -> CoInsurance:
    """The policy's co-insurance pool, its members' shares in their order."""
    members = policy.members.order_by("position")
    return CoInsurance(tuple((m.insurer_id, Decimal(m.share)) for m in members))


def _settle_beyond_part(
    policy: Policy, pool: CoInsurance, claim: RiskClaim, part: Decimal, actor: User
) -> Decimal:
    """What the policy paid or assessed before the settlement, held against the insurer's `part`
    of the loss as settled: the claims assessed and not yet paid are cut to what the part leaves
    (in the order they were given; one left nothing is rejected with the settlement as its
    reason), and what was paid beyond the part is owed back by the bank (`Policy.refund_due`,
    audited, the insurers and the bank told), as a guarantor's is (`guarantee_settle_by_claim`).
    Before, an insurer that had paid 40 % of the whole principal on the bank's notice kept it
    when the pledge's sale left the bank a smaller loss, and its assessed claims were paid in
    full. Answers what the part leaves once what was paid and what stays assessed are taken off
    (never paid twice). Under the policy's lock, which every assessment and payment takes."""
    paid = Decimal(policy.paid_out)
    left = max(part - paid, Decimal("0.00"))
    for assessed in (
        InsuranceClaim.objects.select_for_update().filter(policy=policy, state="assessed")
    ).order_by("id"):
        payout = Decimal(assessed.payout or 0)
        if payout <= left:
            left -= payout
            continue
        before, left_before = _claim_snapshot(assessed), left
        if left > 0:
            assessed.payout = left
            assessed.parts = {str(k): money_str(v) for k, v in pool.split(left).items()}
        else:
            assessed.state, assessed.payout, assessed.parts = "rejected", None, {}
            assessed.reject_reason = (
                f"风险补偿申请 #{claim.pk} 处置后结算：保险应分担的 {yuan_exact(part)} "
                "已由此前的赔付和定损承担。"
            )
        left = Decimal("0.00")
        assessed.save()
        _settlement_told(
            actor,
            claim,
            policy,
            assessed,
            before,
            _claim_snapshot(assessed),
            f"风险补偿申请 #{claim.pk} 处置后结算：保险应分担 {yuan_exact(part)}，理赔案件 "
            f"#{assessed.pk} 的赔付由 {yuan_exact(payout)} 调整为 {yuan_exact(left_before)}。",
            f"Compensation claim #{claim.pk} was settled after the disposal: the insurers bear "
            f"{yuan_en(part)}, and claim #{assessed.pk} pays {yuan_en(left_before)}, not "
            f"{yuan_en(payout)}.",
        )
    refund = max(paid - part, Decimal("0.00"))
    if refund <= 0:
        return left
    before = _snapshot(policy)
    policy.refund_due = refund
    # The settlement's day (the claim's, when it was recorded before this runs).
    policy.refund_due_on = timezone.localdate(claim.settled_at or timezone.now())
    policy.save(update_fields=["refund_due", "refund_due_on"])
    _settlement_told(
        actor,
        claim,
        policy,
        policy,
        before,
        _snapshot(policy),
        f"风险补偿申请 #{claim.pk} 处置后结算：保单 #{policy.pk} 应分担 {yuan_exact(part)}，"
        f"已赔付 {yuan_exact(paid)}，银行应返还保险机构 {yuan_exact(refund)}。",
        f"Compensation claim #{claim.pk} was settled after the disposal: policy #{policy.pk} "
        f"bears {yuan_en(part)} and paid {yuan_en(paid)}; the bank returns "
        f"{yuan_en(refund)} to the insurers.",
    )
    return left


def claim_from_settlement(*, claim: RiskClaim, actor: User) -> InsuranceClaim | None:
    """The claim's settlement fixes the insurer's part (see the module docstring); None when the
    claim found no policy on the loan, or its part is 0."""
    refs = [c["ref"] for c in claim.cover or [] if c["party"] == "insurer"]
    if not refs or claim.insurer_part is None:
        return None
    policy = Policy.objects.select_for_update().get(pk=int(refs[0].partition(":")[2]))
    pool = _pool(policy)
    # The insurer's part of the loss is all it owes for it: what it paid on the policy, or has
    # assessed and not paid yet, counts towards it (a claim the bank made the usual way before
    # the settlement is not paid a second time).
    left = _settle_beyond_part(policy, pool, claim, Decimal(claim.insurer_part), actor)
    part = min(
        left, max(Decimal(policy.sum_insured) - Decimal(policy.paid_out), Decimal("0.00"))
    ).quantize(Decimal("0.01"))
    if part <= 0:
        return None
    open_claim = (
        InsuranceClaim.objects.select_for_update()
        .filter(policy=policy, claimant_id=claim.bank_id, state="notified")
        .order_by("id")
        .first()
    )
    before = None if open_claim is None else _claim_snapshot(open_claim)
    if open_claim is None:
        open_claim = InsuranceClaim(
            policy=policy,
            claimant_id=claim.bank_id,
            amount_claimed=part,
            description=f"风险补偿申请 #{claim.pk} 处置后结算：银行损失中保险应分担部分。",
            notified_by=actor,
        )
    open_claim.assessed_loss = claim.loss
    open_claim.payout = part
    open_claim.parts = {str(k): money_str(v) for k, v in pool.split(part).items()}
    open_claim.state = "assessed"
    open_claim.save()
    _settlement_told(
        actor,
        claim,
        policy,
        open_claim,
        before,
        _claim_snapshot(open_claim),
        f"风险补偿申请 #{claim.pk} 处置后结算：保单 #{policy.pk} 应赔付 {yuan_exact(part)}"
        f"（理赔案件 #{open_claim.pk}），待保险机构赔付。",
        f"Compensation claim #{claim.pk} was settled after the disposal: policy #{policy.pk} "
        f"owes {yuan_en(part)} (claim #{open_claim.pk}), to be paid by the insurer.",
    )
    return open_claim
