"""Securitisation's entry points. The waterfall calculator reads its input here, field by field,
so that each refusal is a 422 naming the field (`collections[3]`, `tranches[1].rate`); nothing is
stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from ipfin.accounts.inputs import clean_uscc
from ipfin.accounts.models import Organisation, User
from ipfin.accounts.permissions import Perm, acting_organisation, require
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, NotFound, invalid
from ipfin.common.inputs import amount_in, date_in, decimal_in, int_in
from ipfin.common.money import largest_remainder, money_str
from ipfin.registry.domain import Status, add_months
from ipfin.registry.models import RightEvent, RightOwner
from ipfin.registry.selectors import right_named, right_status
from ipfin.securitisation.domain import Tranche, Waterfall, interest_fen, sequential_waterfall
from ipfin.securitisation.models import (
    PoolProgramme,
    ProgrammeMember,
    RoyaltyPayment,
    RoyaltyReceivable,
)
from ipfin.securitisation.pools import PoolRules, PoolSelection, select_pool
from ipfin.securitisation.selectors import (
    dealt_with_by_its_own_act,
    pool_candidates,
    programme_banks,
    projected_pool,
    projected_royalty_pool,
    royalty_candidates,
)
from ipfin.securitisation.simulation import (
    Pool,
    SimulationResult,
    Stress,
    TrancheSpec,
    simulate,
)

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_PERIODS",
    "MAX_RATE_DECIMALS",
    "MAX_TRANCHES",
    "PoolPreview",
    "TrancheShare",
    "pool_preview",
    "programme_answer",
    "programme_create",
    "royalty_record",
    "waterfall_preview",
]

MAX_PERIODS = 600  # fifty years of monthly collections
MAX_TRANCHES = 20
MAX_NAME_LENGTH = 40
MAX_RATE_DECIMALS = 10


def _rate_in(raw: Any, field: str) -> Decimal:
    """A rate per period: a decimal from 0 to 1 with at most MAX_RATE_DECIMALS decimals."""
    rate = decimal_in(raw, field)
    exponent = rate.as_tuple().exponent
    if not 0 <= rate <= 1 or (isinstance(exponent, int) and -exponent > MAX_RATE_DECIMALS):
        raise invalid(
            field,
            "rate_invalid",
            f"{field}：每期利率应在 0 到 1 之间，最多 {MAX_RATE_DECIMALS} 位小数。",
            f"{field}: a rate per period from 0 to 1, at most {MAX_RATE_DECIMALS} decimals.",
        )
    return rate


def waterfall_preview(*, data: dict[str, Any]) -> Waterfall:
    """The sequential-pay waterfall of `data` = {collections: [amount per period], senior_fees:
    amount per period, tranches: [{name, balance, rate}] in priority order}
    (ipfin.securitisation.domain.sequential_waterfall)."""
    collections = data.get("collections")
    if not isinstance(collections, list) or not 1 <= len(collections) <= MAX_PERIODS:
        raise invalid(
            "collections",
            "collections_invalid",
            f"请列出每期回收款，1 到 {MAX_PERIODS} 期。",
            f"List the collection of each period: 1 to {MAX_PERIODS} periods.",
        )
    amounts = [
        amount_in(raw, f"collections[{i}]", positive=False, label_zh=f"第 {i + 1} 期回收款")
        for i, raw in enumerate(collections)
    ]
    fees = amount_in(
        data.get("senior_fees"), "senior_fees", positive=False, label_zh="每期优先费用"
    )
    tranches_in = data.get("tranches")
    if not isinstance(tranches_in, list) or not 1 <= len(tranches_in) <= MAX_TRANCHES:
        raise invalid(
            "tranches",
            "tranches_invalid",
            f"请按偿付顺序列出 1 到 {MAX_TRANCHES} 档证券。",
            f"List 1 to {MAX_TRANCHES} tranches in their order of priority.",
        )
    tranches: list[Tranche] = []
    for i, raw in enumerate(tranches_in):
        field = f"tranches[{i}]"
        item = raw if isinstance(raw, dict) else {}
        name = item.get("name")
        name = name.strip() if isinstance(name, str) else ""
        if not name or len(name) > MAX_NAME_LENGTH:
            raise invalid(
                f"{field}.name",
                "tranche_name_invalid",
                f"第 {i + 1} 档证券需要名称（最多 {MAX_NAME_LENGTH} 字）。",
                f"Tranche {i + 1} needs a name of at most {MAX_NAME_LENGTH} characters.",
            )
        if any(t.name == name for t in tranches):
            raise invalid(
                f"{field}.name",
                "tranche_name_repeated",
                f"证券名称“{name}”重复。",
                f"The tranche name {name!r} is given twice.",
            )
        balance = amount_in(
            item.get("balance"), f"{field}.balance", positive=False, label_zh="证券本金余额"
        )
        tranches.append(Tranche(name, balance, _rate_in(item.get("rate"), f"{field}.rate")))
    return sequential_waterfall(amounts, fees, tranches)


# --- the pool preview ---------------------------------------------------------------------------

MAX_POOL_TRANCHES = 10
MAX_STRESSES = 5
MAX_SCENARIOS = 10_000
# Scenarios × loans a preview may simulate (10,000 scenarios of 500 loans: well under a second).
MAX_SIMULATED_CELLS = 5_000_000
# Scenarios × loans × months × runs (the base and each stress): what the simulation's work grows
# with once defaults come early. The first bound alone let 10,000 scenarios of 500 ten-year
# loans under five stresses through: 32 s of a web worker's CPU (3.6 × 10⁹ loan-months); this
# one is about 5 s at most on the same machine.
MAX_SIMULATED_LOAN_MONTHS = 600_000_000


@dataclass(frozen=True)
class TrancheShare:
    name: str
    share: Decimal
    rate: Decimal


@dataclass(frozen=True)
class StressResult:
    stress: Stress
    result: SimulationResult


@dataclass(frozen=True)
class PoolPreview:
    cutoff: date
    selection: PoolSelection
    balance_fen: int
    monthly_principal: list[int]
    monthly_interest: list[int]
    tranches: list[TrancheSpec]
    fee_fen: int
    results: list[StressResult]


def pool_preview(
    *,
    actor: Any,
    rules: PoolRules,
    assets: str = "loans",
    programme_id: int | None = None,
    tranches: list[TrancheShare],
    senior_fee_rate: Decimal,
    monthly_pd: Decimal,
    recovery_rate: Decimal,
    scenarios: int,
    seed: int,
    stresses: list[Stress],
    today: date | None = None,
) -> PoolPreview:
    """A pool of the bank's own loans (`assets` "loans"; with `programme_id`, the loans of the
    programme's arranger and of each bank that accepted) or licence-royalty receivables
    ("royalties") cut today: the assets chosen by `rules` (ipfin.securitisation.pools), their
    projected monthly principal and interest (a royalty is collected whole), the tranches sized
    by their shares of the pool's balance (largest remainder, to the fen), and each tranche's
    expected loss and probability of loss in the base case and under each stress
    (ipfin.securitisation.simulation). Nothing is stored."""
    if assets not in ("loans", "royalties"):
        raise invalid(
            "assets", "assets_invalid", "资产类型应为贷款或许可使用费应收账款。",
            "assets is loans or royalties.",
        )  # fmt: skip
    cutoff = today or timezone.localdate()
    names = [t.name for t in tranches]
    if len(set(names)) != len(names):
        raise invalid(
            "tranches", "tranche_name_repeated", "证券名称重复。", "A tranche name is repeated."
        )
    if sum(t.share for t in tranches) != 1:
        raise invalid(
            "tranches",
            "tranche_shares_invalid",
            "各档证券占资产池的比例之和应为 1。",
            "The tranches' shares of the pool must add up to 1.",
        )
    stress_names = ["base", *(s.name for s in stresses)]
    if len(set(stress_names)) != len(stress_names):
        raise invalid(
            "stresses", "stress_name_repeated", "压力情景名称重复。", "A stress name is repeated."
        )
    if recovery_rate.scaleb(4) != recovery_rate.scaleb(4).to_integral_value():
        raise invalid(
            "recovery_rate",
            "share_invalid",
            "回收率最多精确到万分之一。",
            "recovery_rate: at most four decimals.",
        )
    if programme_id is not None and assets != "loans":
        raise invalid(
            "programme_id", "programme_loans_only",
            "多家银行的专项计划只汇集贷款。", "A programme of several banks pools loans only.",
        )  # fmt: skip
    banks = (
        None if programme_id is None else programme_banks(actor=actor, programme_id=programme_id)
    )
    candidates = (
        pool_candidates(actor=actor, cutoff=cutoff, bank_ids=banks)
        if assets == "loans"
        else royalty_candidates(actor=actor, cutoff=cutoff)
    )
    selection = select_pool(candidates, rules)
    loans = len(selection.included)
    if loans * scenarios > MAX_SIMULATED_CELLS:
        raise invalid(
            "scenarios",
            "pool_too_large",
            f"资产池 {loans} 笔贷款 × {scenarios} 个情景超过单次测算上限 {MAX_SIMULATED_CELLS:,}，"
            "请减少情景数。",
            f"{loans} loans × {scenarios} scenarios is over the {MAX_SIMULATED_CELLS:,} a preview "
            "may simulate: ask for fewer scenarios.",
            max_cells=MAX_SIMULATED_CELLS,
        )
    project = projected_pool if assets == "loans" else projected_royalty_pool
    pool, _ids = project(
        [c.loan_id for c in selection.included],
        cutoff,
        float(monthly_pd),
        int(recovery_rate.scaleb(4)),
    )
    runs = 1 + len(stresses)
    loan_months = loans * scenarios * pool.months * runs
    if loan_months > MAX_SIMULATED_LOAN_MONTHS:
        raise invalid(
            "scenarios",
            "pool_too_large",
            f"资产池 {loans} 笔贷款 × {pool.months} 个月 × {scenarios} 个情景 × {runs} 次测算"
            f"（基准及各压力情景）超过单次测算上限 {MAX_SIMULATED_LOAN_MONTHS:,}，"
            "请减少情景数或压力情景。",
            f"{loans} loans × {pool.months} months × {scenarios} scenarios × {runs} runs (the "
            f"base and each stress) is over the {MAX_SIMULATED_LOAN_MONTHS:,} a preview may "
            "simulate: ask for fewer scenarios or stresses.",
            max_cells=MAX_SIMULATED_LOAN_MONTHS,
        )
    balance_fen = int(pool.balance[:, 0].sum()) if loans else 0
    sizes = largest_remainder(
        balance_fen, [(i, int(t.share.scaleb(8))) for i, t in enumerate(tranches)]
    )
    specs = [TrancheSpec(t.name, sizes[i], int(t.rate.scaleb(8))) for i, t in enumerate(tranches)]
    fee_fen = interest_fen(balance_fen, senior_fee_rate)
    results = []
    for stress in [Stress("base"), *stresses]:
        outcome = simulate(pool, specs, fee_fen, scenarios=scenarios, seed=seed, stress=stress)
        results.append(StressResult(stress, outcome))
    principal = _principal_part(pool)
    interest = pool.schedule - principal
    return PoolPreview(
        cutoff=cutoff,
        selection=selection,
        balance_fen=balance_fen,
        monthly_principal=[int(x) for x in principal.sum(axis=0)] if loans else [],
        monthly_interest=[int(x) for x in interest.sum(axis=0)] if loans else [],
        tranches=specs,
        fee_fen=fee_fen,
        results=results,
    )


def _principal_part(pool: Pool) -> Any:
    """Each loan's principal due in each month: the fall in its balance (the last month: all of
    what is left)."""
    following = np.concatenate([pool.balance[:, 1:], np.zeros_like(pool.balance[:, :1])], axis=1)
    return pool.balance - following


# --- licence-royalty receivables ----------------------------------------------------------------

MAX_ROYALTY_PAYMENTS = 240  # twenty years of monthly royalties


def _receivable_exists() -> Conflict:
    return Conflict(
        "该许可的许可使用费应收账款已登记。",
        "The royalties of this licence are recorded already.",
        code="receivable_exists",
    )


def royalty_record(
    *, actor: User, number: Any, licensee_uscc: Any, payments: Any, today: date | None = None
) -> RoyaltyReceivable:
    """The bank records a licence-royalty receivable it originates for a pool (the licence-back
    structure): the royalties the licensee owes on a licence of the right recorded in the
    register (422 `licence_not_recorded` naming `licensee_uscc` when the register has no licence
    of the right to that licensee), payable to a current holder of the right (the licensor), by
    date: 1 to 240 payments, each after today, each date once, each amount above 0 (a 422
    naming `payments[i].due_on` or `payments[i].amount`), none more than 600 months ahead. One
    receivable per licence (409 `receivable_exists`): its royalties are sold once. A co-owned
    right is refused (422 `co_owned_right`, 专利法 art. 14: the co-owners share the royalties). The
    licensor
    has dealt with the bank by its own act (`selectors.dealt_with_by_its_own_act`: a pledge it
    signed, a loan disbursed to it; else 422 `licensor_not_customer` naming `number`): the
    royalties are the licensor's claim (民法典 art. 545), which a bank originates only for an
    enterprise that chose to deal with it."""
    user = require(actor, Perm.LOAN_MANAGE)
    bank = acting_organisation(user)
    day = today or timezone.localdate()
    right = right_named(number)
    code = clean_uscc(str(licensee_uscc or ""))
    licensee = Organisation.objects.filter(uscc=code).first() if code else None
    licence = (
        RightEvent.objects.filter(right=right, type="licence", payload__licensee_uscc=code)
        .order_by("-date", "-id")
        .first()
        if licensee is not None
        else None
    )
    if licensee is None or licence is None:
        raise invalid(
            "licensee_uscc",
            "licence_not_recorded",
            "登记簿中没有该知识产权许可给该被许可人的许可备案。",
            "The register records no licence of the right to that licensee.",
        )
    status = right_status(right, on=day)
    if status.status not in (Status.IN_FORCE, Status.GRACE_PERIOD):
        # A licence of a right invalidated, lapsed or expired owes no royalty to come (专利法
        # art. 47: an invalidated patent is deemed never to have existed): 200,000.00 of
        # royalties on a dead right were recorded and pooled as performing.
        raise invalid(
            "number", "right_not_in_force",
            f"该知识产权在 {day} 不处于有效状态，其许可使用费不能作为应收账款登记。",
            f"The right is not in force on {day}: its royalties cannot be recorded.",
        )  # fmt: skip
    holders = list(
        RightOwner.objects.filter(right=right, valid_to__isnull=True)
        .order_by("id")
        .values_list("organisation_id", flat=True)
    )
    if len(holders) > 1:
        # 专利法 art. 14: the royalties of a co-owned patent's licence are shared among the
        # co-owners (unless they agreed otherwise, which the register does not show): a
        # receivable in the first co-owner's name alone would sell the others' shares too.
        raise invalid(
            "number", "co_owned_right",
            "该知识产权为共有，许可使用费依专利法第十四条在全体共有人之间分配；"
            "平台只登记单一权利人的许可使用费应收账款。",
            "The right is co-owned: its royalties are shared among all the co-owners (专利法 "
            "art. 14). The platform records the royalties of a right with one holder only.",
        )  # fmt: skip
    holder = holders[0] if holders else None
    if holder is None:
        raise invalid(
            "number", "licensor_unknown", "该知识产权的权利人未在平台注册。",
            "The right's holder is not registered on the platform.",
        )  # fmt: skip
    if not dealt_with_by_its_own_act(bank_id=bank.pk, enterprise_id=holder):
        # The royalties are the licensor's claim on the licensee (民法典 art. 545: a creditor
        # assigns its own claims): a bank originates them only for an enterprise that dealt with
        # it by its own act; any other bank recording them first would keep its own bank out (one
        # receivable per licence), and a pledge application a bank files alone proves nothing.
        raise invalid(
            "number", "licensor_not_customer",
            "该知识产权的权利人与贵行在本平台没有经其确认的质押或已放款的贷款，"
            "不能登记其许可使用费应收账款。",
            "The right's holder has no pledge it signed with the bank, nor a loan the bank "
            "disbursed to it, on the platform: the bank cannot record its royalties.",
        )  # fmt: skip
    if not isinstance(payments, list) or not 1 <= len(payments) <= MAX_ROYALTY_PAYMENTS:
        raise invalid(
            "payments", "payments_invalid",
            f"请列出 1 到 {MAX_ROYALTY_PAYMENTS} 期应付许可使用费。",
            f"payments: 1 to {MAX_ROYALTY_PAYMENTS} royalties due.",
        )  # fmt: skip
    # Within the periods a pool projects (fifty years): a date beyond would make the pool's
    # monthly columns, and the simulation's, as long as the attacker liked.
    last_day = add_months(day, MAX_PERIODS)
    schedule: dict[date, Decimal] = {}
    for i, item in enumerate(payments):
        entry = item if isinstance(item, dict) else {}
        due = date_in(entry.get("due_on"), f"payments[{i}].due_on")
        if status.expiry_date is not None and due >= status.expiry_date:
            # The licence ends with the right's term: no royalty falls due after it.
            raise invalid(
                f"payments[{i}].due_on", "due_after_expiry",
                f"应付日须在该知识产权期限届满（{status.expiry_date}）之前。",
                f"Each due date is before the right's term ends ({status.expiry_date}).",
            )  # fmt: skip
        if due <= day or due in schedule or due > last_day:
            raise invalid(
                f"payments[{i}].due_on", "due_on_invalid",
                f"应付日须晚于今天、在 {MAX_PERIODS // 12} 年之内，且各期不重复。",
                f"Each due date is after today, within {MAX_PERIODS // 12} years, and once.",
            )  # fmt: skip
        schedule[due] = amount_in(
            entry.get("amount"), f"payments[{i}].amount", label_zh="许可使用费"
        )
    if RoyaltyReceivable.objects.filter(licence_event=licence).exists():
        raise _receivable_exists()
    with transaction.atomic():
        try:
            with transaction.atomic():
                receivable = RoyaltyReceivable.objects.create(
                    bank=bank,
                    right=right,
                    licence_event=licence,
                    licensor_id=holder,
                    licensee=licensee,
                    created_by=user,
                )
        except IntegrityError:  # a concurrent record of the same licence won
            raise _receivable_exists() from None
        RoyaltyPayment.objects.bulk_create(
            [RoyaltyPayment(receivable=receivable, due_on=d, amount=a) for d, a in schedule.items()]
        )
        audit_record(
            actor=user,
            action="abs.royalty_record",
            obj=receivable,
            after={
                "right": right.number,
                "licence_event": licence.pk,
                "licensee": licensee.pk,
                "payments": {d.isoformat(): money_str(a) for d, a in sorted(schedule.items())},
            },
        )
    return receivable


# --- programmes of several banks --------------------------------------------------------------

MAX_PROGRAMME_BANKS = 20


def _programme_snapshot(programme: PoolProgramme) -> dict[str, Any]:
    return {
        "name": programme.name,
        "arranger": programme.arranger_id,
        "members": {str(m.bank_id): m.state for m in programme.members.all()},
    }


def programme_create(*, actor: User, name: Any, bank_ids: Any) -> PoolProgramme:
    """The arranging bank opens a programme and invites other banks to contribute their loans
    (1 to 20 banks, each a bank, not itself, once; a 422 naming `bank_ids` otherwise)."""
    user = require(actor, Perm.LOAN_MANAGE)
    arranger = acting_organisation(user)
    title = name.strip() if isinstance(name, str) else ""
    if not title or len(title) > 200:
        raise invalid(
            "name", "name_required", "请填写专项计划名称（不超过 200 字）。",
            "name: 1 to 200 characters.",
        )  # fmt: skip
    ids = bank_ids if isinstance(bank_ids, list) else []
    banks = list(
        Organisation.objects.filter(pk__in=[i for i in ids if isinstance(i, int)], kind="bank")
        .exclude(pk=arranger.pk)
        .values_list("pk", flat=True)
    )
    if (
        not 1 <= len(ids) <= MAX_PROGRAMME_BANKS
        or len(set(ids)) != len(ids)
        or len(banks) != len(ids)
    ):
        raise invalid(
            "bank_ids", "banks_invalid",
            f"请邀请 1 到 {MAX_PROGRAMME_BANKS} 家其他银行，各一次。",
            f"Invite 1 to {MAX_PROGRAMME_BANKS} other banks, each once.",
        )  # fmt: skip
    with transaction.atomic():
        programme = PoolProgramme.objects.create(name=title, arranger=arranger, created_by=user)
        ProgrammeMember.objects.bulk_create(
            [ProgrammeMember(programme=programme, bank_id=bank) for bank in banks]
        )
        audit_record(
            actor=user,
            action="abs.programme_create",
            obj=programme,
            after=_programme_snapshot(programme),
        )
        notify_orgs(
            banks,
            programme,
            "abs.programme_invite",
            f"{arranger.name} 邀请贵行以知识产权质押贷款参加资产支持专项计划“{title}”；"
            "同意即向牵头银行提供入池贷款的逐笔数据。",
            f"{arranger.name} invites your bank to contribute IP-pledge loans to the programme "
            f'"{title}"; accepting shares the pooled loans\' figures with the arranger.',
        )
    return programme


def programme_answer(*, actor: User, programme_id: Any, decision: Any) -> PoolProgramme:
    """An invited bank accepts (its eligible loans join the programme's pools, their figures
    shared with the arranger) or declines; once (409 `programme_answered`); 404 for a bank not
    invited."""
    user = require(actor, Perm.LOAN_MANAGE)
    bank = acting_organisation(user)
    if decision not in ("accept", "decline"):
        raise invalid(
            "decision", "decision_invalid", "请选择同意或拒绝。", "decision is accept or decline."
        )
    with transaction.atomic():
        member = (
            ProgrammeMember.objects.select_for_update()
            .select_related("programme")
            .filter(programme_id=int_in(programme_id, "abs_programme_id"), bank=bank)
            .first()
        )
        if member is None:
            raise NotFound(
                "未找到邀请贵行的该专项计划。", "No such programme.", code="programme_not_found"
            )
        if member.state != "invited":
            raise Conflict(
                "贵行已答复该专项计划的邀请。",
                "Your bank has answered this invitation already.",
                code="programme_answered",
            )
        before = _programme_snapshot(member.programme)
        member.state = "accepted" if decision == "accept" else "declined"
        member.answered_by, member.answered_at = user, timezone.now()
        member.save()
        audit_record(
            actor=user,
            action="abs.programme_answer",
            obj=member.programme,
            before=before,
            after=_programme_snapshot(member.programme),
        )
        word_zh = "同意参加" if decision == "accept" else "拒绝参加"
        notify_orgs(
            [member.programme.arranger_id],
            member.programme,
            "abs.programme_answer",
            f"{bank.name} {word_zh}专项计划“{member.programme.name}”。",
            f'{bank.name} {decision}ed the programme "{member.programme.name}".',
        )
    return member.programme
