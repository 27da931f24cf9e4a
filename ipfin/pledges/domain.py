"""Pledge registration rules: the state machine, the automated pre-check and registration numbers.

Pure: no Django, no clock, no database. The services load the facts (the register as it stands on
`today`), call `run_prechecks` and `next_state`, and save.

Sources of the workflow and the pre-check rules:
- 专利权质押登记办法 (CNIPA announcement No. 461, 2021), arts. 3 and 7: the pledgor and the
  pledgee apply jointly (共同办理; a form signed or sealed by both): an application filed by one
  party waits for the other's confirmation before it reaches the examiner. 民法典 art. 444: the
  pledge arises on registration (never back-dated).
- 办法 art. 12: the cases in which a patent pledge is not registered (pledgor not the owner;
  patent terminated, invalidated or not granted; annuity unpaid; dispute or court preservation;
  term past the patent's expiry; co-owners' consent missing; already pledged; an invalidation
  procedure started, or the same applicant's same-day invention and utility model for the same
  creation, unless the parties, informed, still ask to proceed). The 2010 rules' forfeiture-clause
  ground (流质条款, 物权法 art. 211) is gone: under 民法典 art. 428 such a clause voids nothing and
  the pledgee may only seek priority repayment from the right, so it is a warning here.
- 注册商标专用权质押登记程序规定 (CNIPA announcement No. 358, 2020), art. 5: the pledgor's
  identical or similar marks on the same or similar goods must be pledged together.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from ipfin.common.errors import invalid
from ipfin.common.money import to_fen
from ipfin.common.workflow import IllegalTransition, Workflow, WorkflowErrorCode
from ipfin.registry.domain import (
    TERMINAL_STATUSES,
    RightKind,
    Status,
    annuity_amount,
    annuity_schedule,
)

__all__ = [
    "ACTIVE_STATES",
    "BLOCKING_RULES",
    "CHANGE_TRANSITIONS",
    "CONFIRMATION_WORKING_DAYS",
    "DECLARED_RULES",
    "EARLIEST_TERM_START",
    "FINAL_STATES",
    "NEAR_EXPIRY_DAYS",
    "TRANSITIONS",
    "WARNING_RULES",
    "ChangeState",
    "CheckResult",
    "DepositOutcome",
    "DepositYear",
    "IllegalTransition",
    "MarkFacts",
    "OwnerFacts",
    "PledgeAction",
    "PledgeApplication",
    "PledgeErrorCode",
    "PledgeState",
    "PledgedRight",
    "Rule",
    "allowed_actions",
    "allowed_change_actions",
    "annuity_deposit_years",
    "blocking_failures",
    "check_debt_term",
    "declared_risks",
    "deposit_refund",
    "deposit_total",
    "format_registration_no",
    "goods_overlap",
    "is_registration_no",
    "marks_similar",
    "next_change_state",
    "next_state",
    "normalize_mark",
    "run_prechecks",
    "term_checks",
]


# --- the state machine ---------------------------------------------------------------------------


class PledgeState(StrEnum):
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # 待对方确认 (filed by one party)
    SUBMITTED = "submitted"  # 待审查
    CORRECTION_REQUESTED = "correction_requested"  # 待补正
    REGISTERED = "registered"  # 已登记
    REJECTED = "rejected"  # 不予登记
    RELEASED = "released"  # 已注销
    WITHDRAWN = "withdrawn"  # 已撤回
    DECLINED = "declined"  # 对方拒绝
    LAPSED = "lapsed"  # 逾期未确认


class PledgeAction(StrEnum):
    SUBMIT = "submit"  # one party files (signs) the joint application
    CONFIRM = "confirm"  # the other party signs it: it reaches the examiner
    DECLINE = "decline"  # the other party refuses to sign
    LAPSE = "lapse"  # unconfirmed for CONFIRMATION_WORKING_DAYS: it lapses
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_CORRECTION = "request_correction"
    RESUBMIT = "resubmit"  # corrected without changing what both parties signed
    AMEND = "amend"  # corrected with changed particulars: the other party signs again
    CHANGE = "change"
    RELEASE = "release"
    WITHDRAW = "withdraw"


# A pledge in one of these states holds its rights: no other application may cover them.
ACTIVE_STATES: frozenset[PledgeState] = frozenset(
    {
        PledgeState.AWAITING_CONFIRMATION,
        PledgeState.SUBMITTED,
        PledgeState.CORRECTION_REQUESTED,
        PledgeState.REGISTERED,
    }
)
FINAL_STATES: frozenset[PledgeState] = frozenset(
    {
        PledgeState.REJECTED,
        PledgeState.RELEASED,
        PledgeState.WITHDRAWN,
        PledgeState.DECLINED,
        PledgeState.LAPSED,
    }
)
# An unconfirmed application holds its rights for at most this many working days, then lapses.
CONFIRMATION_WORKING_DAYS = 10

# (state before, action) -> state after; `None` is "no application yet". Nothing else is allowed.
TRANSITIONS: dict[tuple[PledgeState | None, PledgeAction], PledgeState] = {
    # 办法 arts. 3, 7: filed by one party, it becomes an application when the other signs it.
    (None, PledgeAction.SUBMIT): PledgeState.AWAITING_CONFIRMATION,
    (PledgeState.AWAITING_CONFIRMATION, PledgeAction.CONFIRM): PledgeState.SUBMITTED,
    (PledgeState.AWAITING_CONFIRMATION, PledgeAction.DECLINE): PledgeState.DECLINED,
    (PledgeState.AWAITING_CONFIRMATION, PledgeAction.WITHDRAW): PledgeState.WITHDRAWN,
    (PledgeState.AWAITING_CONFIRMATION, PledgeAction.LAPSE): PledgeState.LAPSED,
    (PledgeState.SUBMITTED, PledgeAction.APPROVE): PledgeState.REGISTERED,
    (PledgeState.SUBMITTED, PledgeAction.REJECT): PledgeState.REJECTED,
    (PledgeState.SUBMITTED, PledgeAction.REQUEST_CORRECTION): PledgeState.CORRECTION_REQUESTED,
    (PledgeState.SUBMITTED, PledgeAction.WITHDRAW): PledgeState.WITHDRAWN,
    # A corrected application whose particulars changed goes back to the other party to sign.
    (PledgeState.CORRECTION_REQUESTED, PledgeAction.RESUBMIT): PledgeState.SUBMITTED,
    (PledgeState.CORRECTION_REQUESTED, PledgeAction.AMEND): PledgeState.AWAITING_CONFIRMATION,
    (PledgeState.CORRECTION_REQUESTED, PledgeAction.WITHDRAW): PledgeState.WITHDRAWN,
    # 变更登记: the pledge stays registered with the changed particulars.
    (PledgeState.REGISTERED, PledgeAction.CHANGE): PledgeState.REGISTERED,
    # 注销登记
    (PledgeState.REGISTERED, PledgeAction.RELEASE): PledgeState.RELEASED,
}

_STATE_ZH = {
    PledgeState.AWAITING_CONFIRMATION: "待对方确认",
    PledgeState.DECLINED: "对方拒绝",
    PledgeState.LAPSED: "逾期未确认",
    PledgeState.SUBMITTED: "待审查",
    PledgeState.CORRECTION_REQUESTED: "待补正",
    PledgeState.REGISTERED: "已登记",
    PledgeState.REJECTED: "不予登记",
    PledgeState.RELEASED: "已注销",
    PledgeState.WITHDRAWN: "已撤回",
}
_ACTION_ZH = {
    PledgeAction.SUBMIT: "提交",
    PledgeAction.CONFIRM: "确认",
    PledgeAction.DECLINE: "拒绝",
    PledgeAction.LAPSE: "逾期失效",
    PledgeAction.APPROVE: "准予登记",
    PledgeAction.REJECT: "不予登记",
    PledgeAction.REQUEST_CORRECTION: "要求补正",
    PledgeAction.RESUBMIT: "补正后重新提交",
    PledgeAction.AMEND: "修改申请内容后重新提交",
    PledgeAction.CHANGE: "变更登记",
    PledgeAction.RELEASE: "注销登记",
    PledgeAction.WITHDRAW: "撤回",
}


PledgeErrorCode = WorkflowErrorCode

_WORKFLOW: Workflow[PledgeState, PledgeAction] = Workflow(
    state_type=PledgeState,
    action_type=PledgeAction,
    transitions=TRANSITIONS,
    state_zh=_STATE_ZH,
    action_zh=_ACTION_ZH,
    message_zh="质押登记当前状态为“{state}”，不能{action}。",
    message_en="A pledge in state {state} cannot be {action}.",
)


# --- change registration (变更登记): the parties' joint application, then the office's decision --


class ChangeState(StrEnum):
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    SUBMITTED = "submitted"
    CORRECTION_REQUESTED = "correction_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    DECLINED = "declined"
    LAPSED = "lapsed"


CHANGE_TRANSITIONS: dict[tuple[ChangeState | None, PledgeAction], ChangeState] = {
    (None, PledgeAction.CHANGE): ChangeState.AWAITING_CONFIRMATION,
    (ChangeState.AWAITING_CONFIRMATION, PledgeAction.CONFIRM): ChangeState.SUBMITTED,
    (ChangeState.AWAITING_CONFIRMATION, PledgeAction.DECLINE): ChangeState.DECLINED,
    (ChangeState.AWAITING_CONFIRMATION, PledgeAction.LAPSE): ChangeState.LAPSED,
    (ChangeState.AWAITING_CONFIRMATION, PledgeAction.WITHDRAW): ChangeState.WITHDRAWN,
    (ChangeState.SUBMITTED, PledgeAction.APPROVE): ChangeState.APPROVED,
    (ChangeState.SUBMITTED, PledgeAction.REJECT): ChangeState.REJECTED,
    (ChangeState.SUBMITTED, PledgeAction.REQUEST_CORRECTION): ChangeState.CORRECTION_REQUESTED,
    (ChangeState.SUBMITTED, PledgeAction.WITHDRAW): ChangeState.WITHDRAWN,
}
# A change sent back for correction is closed: the parties file the corrected change anew (one
# open change application per pledge), so nothing is left waiting on a dead end.

_CHANGE_WORKFLOW: Workflow[ChangeState, PledgeAction] = Workflow(
    state_type=ChangeState,
    action_type=PledgeAction,
    transitions=CHANGE_TRANSITIONS,
    state_zh={
        ChangeState.AWAITING_CONFIRMATION: "待对方确认",
        ChangeState.SUBMITTED: "待审查",
        ChangeState.CORRECTION_REQUESTED: "待补正",
        ChangeState.APPROVED: "已变更",
        ChangeState.REJECTED: "不予变更",
        ChangeState.WITHDRAWN: "已撤回",
        ChangeState.DECLINED: "对方拒绝",
        ChangeState.LAPSED: "逾期未确认",
    },
    action_zh=_ACTION_ZH,
    message_zh="变更登记申请当前状态为“{state}”，不能{action}。",
    message_en="A change application in state {state} cannot be {action}.",
)


def next_change_state(state: ChangeState | str | None, action: PledgeAction | str) -> ChangeState:
    """The change application's state after `action`, or `IllegalTransition` (→ 409)."""
    return _CHANGE_WORKFLOW.next_state(state, action)


def allowed_change_actions(state: ChangeState | str | None) -> frozenset[PledgeAction]:
    return _CHANGE_WORKFLOW.allowed_actions(state)


def next_state(state: PledgeState | str | None, action: PledgeAction | str) -> PledgeState:
    """The state after `action`, or `IllegalTransition` (→ 409); `ValueError` for an unknown
    name."""
    return _WORKFLOW.next_state(state, action)


def allowed_actions(state: PledgeState | str | None) -> frozenset[PledgeAction]:
    return _WORKFLOW.allowed_actions(state)


# --- registration numbers ------------------------------------------------------------------------

_REGISTRATION_NO_RE = re.compile(r"Y(\d{4})(\d{9})")
_MAX_SEQUENCE = 10**9 - 1


def format_registration_no(year: int, sequence: int) -> str:
    """质押登记号: "Y" + year (4 digits) + the year's sequence (9 digits), e.g. Y2026000000001."""
    if not 1000 <= year <= 9999:
        raise ValueError(f"year must have four digits, got {year}")
    if not 1 <= sequence <= _MAX_SEQUENCE:
        raise ValueError(f"sequence must be in [1, {_MAX_SEQUENCE}], got {sequence}")
    return f"Y{year:04d}{sequence:09d}"


def is_registration_no(text: str) -> bool:
    return _REGISTRATION_NO_RE.fullmatch(text.strip().upper()) is not None


# --- pre-check inputs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerFacts:
    """A current registered owner of a right."""

    name: str
    uscc: str
    share: Decimal = Decimal(1)


@dataclass(frozen=True)
class MarkFacts:
    """A trademark as the similar-marks rule sees it: its text and the goods it covers."""

    number: str
    mark_text: str
    nice_classes: tuple[int, ...] = ()
    similar_groups: tuple[str, ...] = ()  # 类似群 codes, e.g. "0901"


@dataclass(frozen=True)
class PledgedRight:
    """One right of the application, as the register shows it on the application's `today`.

    The status fields mirror `ipfin.registry.domain.StatusResult` (expiry_date is the first day the
    right is no longer in force). `mark` is set for trademarks.
    """

    number: str
    kind: RightKind
    status: Status
    expiry_date: date | None  # None: the term cannot be computed (`term_note` says why)
    since: date | None = None
    grace_until: date | None = None
    unpaid_year: int | None = None
    invalidation_pending: bool = False
    preserved: bool = False
    disputed: bool = False
    owners: tuple[OwnerFacts, ...] = ()
    already_pledged_or_pending: bool = False
    exclusive_licence: bool = False
    mark: MarkFacts | None = None
    title: str = ""
    term_note: tuple[str, str] | None = None  # (zh, en) why the term cannot be computed
    same_day_invention: str = ""  # a utility model's same-day invention application


@dataclass(frozen=True)
class PledgeApplication:
    pledgor_uscc: str
    term_start: date
    term_end: date
    today: date
    forfeiture_clause: bool = False
    co_owner_consent: bool = False
    # Both parties' explicit declaration that they proceed although an invalidation is pending.
    proceed_despite_invalidation: bool = False
    # ... and although a utility model has a same-day invention application for the same creation.
    proceed_despite_same_day: bool = False


# --- the debt term as entered ---------------------------------------------------------------------

# No debt term of an IP pledge here starts before China's Patent Law took effect (1985-04-01): an
# earlier start is a mistyped year, not a debt to secure.
EARLIEST_TERM_START = date(1985, 4, 1)


def check_debt_term(term_start: date, term_end: date, *, filed_on: date) -> None:
    """The secured debt's term as filed on `filed_on` (an application, its correction, or a change
    of the term's end), or a 422 naming the date at fault, one code per mistake:

    - `term_invalid`: the term ends before it starts;
    - `term_ended`: the term ended before the filing day (field `term_end`): a debt already due
      when the parties file is not secured by a new registration here, so a term like 1900-01-01 →
      1901-01-01 is refused instead of being registered; ending on the filing day itself is
      accepted;
    - `term_start_too_early`: the term starts before EARLIEST_TERM_START (field `term_start`).

    An input sanity rule of this platform, not a ground of refusal of 专利权质押登记办法 art. 12
    (those are the pre-check rules below, which the examiner's decision rests on), and not a rule
    of 民法典 arts. 425 / 440, which define the pledge and the pledgeable rights but say nothing of
    when the secured debt's term may lie; hence a 422 on the input, not a pre-check result.
    """
    if term_end < term_start:
        raise invalid(
            None,
            "term_invalid",
            f"债务履行期限止日 {term_end} 早于起日 {term_start}。",
            f"The debt term ends ({term_end}) before it starts ({term_start}).",
        )
    if term_end < filed_on:
        raise invalid(
            "term_end",
            "term_ended",
            f"债务履行期限止日 {term_end} 早于申请日 {filed_on}："
            "履行期限已届满的债务不能办理质押登记。",
            f"The end of the debt term, {term_end}, is before the filing day {filed_on}: a debt "
            "whose term has ended cannot be secured by a new registration.",
            filed_on=filed_on.isoformat(),
        )
    if term_start < EARLIEST_TERM_START:
        raise invalid(
            "term_start",
            "term_start_too_early",
            f"债务履行期限起日 {term_start} 早于 {EARLIEST_TERM_START}（专利法施行之日），"
            "请核对年份。",
            f"The start of the debt term, {term_start}, is before {EARLIEST_TERM_START} (the day "
            "China's Patent Law took effect): check the year.",
            min=EARLIEST_TERM_START.isoformat(),
        )


# --- pre-check results ---------------------------------------------------------------------------


class Rule(StrEnum):
    """Stable names of the pre-check rules (API, UI and stored results use them)."""

    NO_FORFEITURE_CLAUSE = "no_forfeiture_clause"
    NO_SAME_DAY_INVENTION = "no_same_day_invention"
    PLEDGOR_IS_OWNER = "pledgor_is_owner"
    RIGHT_GRANTED = "right_granted"
    RIGHT_NOT_TERMINATED = "right_not_terminated"
    ANNUITY_NOT_IN_GRACE = "annuity_not_in_grace"
    NO_INVALIDATION_PENDING = "no_invalidation_pending"
    NO_DISPUTE_OR_PRESERVATION = "no_dispute_or_preservation"
    TERM_WITHIN_RIGHT = "term_within_right"
    CO_OWNERS_CONSENT = "co_owners_consent"
    NOT_ALREADY_PLEDGED = "not_already_pledged"
    TRADEMARK_SIMILAR_MARKS_TOGETHER = "trademark_similar_marks_together"
    TERM_END_NEAR_EXPIRY = "term_end_near_expiry"
    RIGHT_LICENSED_EXCLUSIVELY = "right_licensed_exclusively"


# Warnings never stop an application. The forfeiture clause is one since 民法典 art. 428 (see the
# module docstring): the 2021 办法 no longer names it among the grounds for refusal.
WARNING_RULES: frozenset[Rule] = frozenset(
    {Rule.TERM_END_NEAR_EXPIRY, Rule.RIGHT_LICENSED_EXCLUSIVELY, Rule.NO_FORFEITURE_CLAUSE}
)
BLOCKING_RULES: frozenset[Rule] = frozenset(Rule) - WARNING_RULES

# A debt term that ends within this many days of the right's expiry gets a warning.
NEAR_EXPIRY_DAYS = 365


@dataclass(frozen=True)
class CheckResult:
    """One rule's outcome. `blocking` is the rule's weight (False: a warning); it stops the
    application only when it has not `passed`."""

    rule: str
    passed: bool
    blocking: bool
    message_zh: str
    message_en: str
    right_number: str | None = None

    @property
    def blocks(self) -> bool:
        return self.blocking and not self.passed

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "passed": self.passed,
            "blocking": self.blocking,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "right": self.right_number,
        }


def blocking_failures(checks: Iterable[CheckResult]) -> list[CheckResult]:
    return [check for check in checks if check.blocks]


# Grounds of refusal the parties may proceed past by declaring that they know of them (办法
# art. 12): an invalidation procedure pending, a same-day invention application.
DECLARED_RULES: frozenset[Rule] = frozenset(
    {Rule.NO_INVALIDATION_PENDING, Rule.NO_SAME_DAY_INVENTION}
)


def declared_risks(checks: Iterable[Mapping[str, object]]) -> list[Mapping[str, object]]:
    """The stored pre-check results (`CheckResult.as_dict`) of a ground of refusal that stands and
    that the parties declared they proceed past (an invalidation pending, a same-day invention):
    not passed, not blocking. What the examiner's desk and the pledge page show as a warning."""
    return [
        check
        for check in checks
        if check.get("rule") in DECLARED_RULES
        and not check.get("passed")
        and not check.get("blocking")
    ]


@dataclass
class _Collector:
    results: list[CheckResult] = field(default_factory=list)

    def add(
        self,
        rule: Rule,
        passed: bool,
        zh: str,
        en: str,
        right: str | None = None,
        *,
        declared: bool = False,
    ) -> None:
        """`declared`: the parties' declaration lets the application through a ground of refusal
        that stands (办法 art. 12: they proceed, informed): the rule is not met, and a warning
        instead of a refusal (one of `DECLARED_RULES`), never shown as passed."""
        self.results.append(
            CheckResult(
                rule=rule.value,
                passed=passed,
                blocking=rule in BLOCKING_RULES and not declared,
                message_zh=zh,
                message_en=en,
                right_number=right,
            )
        )


_STATUS_ZH = {
    Status.PENDING: "申请中（尚未授权/注册）",
    Status.IN_FORCE: "有效",
    Status.GRACE_PERIOD: "滞纳期",
    Status.LAPSED: "未缴年费终止",
    Status.EXPIRED: "期限届满终止",
    Status.INVALIDATED: "宣告无效",
    Status.SURRENDERED: "放弃",
}


def _norm_uscc(code: str) -> str:
    return "".join(code.split()).upper()


# --- the rules, one right at a time --------------------------------------------------------------


def _check_owner(c: _Collector, app: PledgeApplication, r: PledgedRight) -> None:
    pledgor = _norm_uscc(app.pledgor_uscc)
    owners = [o for o in r.owners if o.uscc]
    if any(_norm_uscc(o.uscc) == pledgor for o in owners):
        c.add(
            Rule.PLEDGOR_IS_OWNER,
            True,
            f"{r.number}：出质人是登记的权利人。",
            f"{r.number}: the pledgor is the registered owner.",
            r.number,
        )
        return
    names = "、".join(o.name for o in r.owners) or "无"
    names_en = ", ".join(o.name for o in r.owners) or "none"
    c.add(
        Rule.PLEDGOR_IS_OWNER,
        False,
        f"{r.number}：出质人（{pledgor}）不是登记的权利人（登记权利人：{names}）。",
        f"{r.number}: the pledgor ({pledgor}) is not the registered owner (owners: {names_en}).",
        r.number,
    )


def _check_granted(c: _Collector, r: PledgedRight) -> None:
    if r.status is Status.PENDING:
        c.add(
            Rule.RIGHT_GRANTED,
            False,
            f"{r.number}：尚未授权或注册（仍为申请），不能出质。",
            f"{r.number}: not yet granted or registered (still an application); it cannot be "
            "pledged.",
            r.number,
        )
    else:
        c.add(
            Rule.RIGHT_GRANTED,
            True,
            f"{r.number}：已授权/注册。",
            f"{r.number}: granted / registered.",
            r.number,
        )


def _check_not_terminated(c: _Collector, r: PledgedRight) -> None:
    if r.status in TERMINAL_STATUSES:
        since = f"（自 {r.since.isoformat()} 起）" if r.since else ""
        since_en = f" since {r.since.isoformat()}" if r.since else ""
        c.add(
            Rule.RIGHT_NOT_TERMINATED,
            False,
            f"{r.number}：权利已终止——{_STATUS_ZH[r.status]}{since}，不能出质。",
            f"{r.number}: the right has ended ({r.status.value}{since_en}); it cannot be pledged.",
            r.number,
        )
    else:
        c.add(
            Rule.RIGHT_NOT_TERMINATED,
            True,
            f"{r.number}：权利未终止、未被宣告无效。",
            f"{r.number}: the right has not ended and has not been invalidated.",
            r.number,
        )


def _check_grace(c: _Collector, r: PledgedRight) -> None:
    if r.status is not Status.GRACE_PERIOD:
        c.add(
            Rule.ANNUITY_NOT_IN_GRACE,
            True,
            f"{r.number}：不在年费（续展）滞纳期内。",
            f"{r.number}: not in an annuity (renewal) grace period.",
            r.number,
        )
        return
    until = r.grace_until.isoformat() if r.grace_until else "?"
    if r.kind is RightKind.TRADEMARK:
        zh = f"{r.number}：商标注册有效期已届满，处于续展宽展期（至 {until}），须先办理续展。"
        en = (
            f"{r.number}: the trademark's term has ended and it is in the renewal grace period "
            f"(until {until}); renew it first."
        )
    else:
        year = f"第{r.unpaid_year}年度" if r.unpaid_year else ""
        year_en = f" for year {r.unpaid_year}" if r.unpaid_year else ""
        zh = f"{r.number}：{year}年费未缴，处于滞纳期（至 {until}），须先缴纳年费及滞纳金。"
        en = (
            f"{r.number}: the annuity{year_en} is unpaid and the patent is in the grace period "
            f"(until {until}); pay the annuity and the late fee first."
        )
    c.add(Rule.ANNUITY_NOT_IN_GRACE, False, zh, en, r.number)


def _check_invalidation(c: _Collector, app: PledgeApplication, r: PledgedRight) -> None:
    if not r.invalidation_pending:
        c.add(
            Rule.NO_INVALIDATION_PENDING,
            True,
            f"{r.number}：无正在进行的无效宣告程序。",
            f"{r.number}: no invalidation procedure pending.",
            r.number,
        )
    elif app.proceed_despite_invalidation:
        # Not met, and not refused: the parties proceed, informed (办法 art. 12). A warning the
        # examiner and the parties see as one (amber, with words), never a green tick.
        c.add(
            Rule.NO_INVALIDATION_PENDING,
            False,
            f"{r.number}：无效宣告程序正在进行；双方当事人已声明知悉并仍请求办理质押登记。",
            f"{r.number}: an invalidation procedure is pending; both parties have declared that "
            "they are aware of it and still ask for registration.",
            r.number,
            declared=True,
        )
    else:
        c.add(
            Rule.NO_INVALIDATION_PENDING,
            False,
            f"{r.number}：无效宣告程序已经启动。如双方当事人知悉后仍请求登记，须明确声明。",
            f"{r.number}: an invalidation procedure has started. If both parties, aware of it, "
            "still ask for registration, they must declare so explicitly.",
            r.number,
        )


def _check_same_day(c: _Collector, app: PledgeApplication, r: PledgedRight) -> None:
    """专利权质押登记办法 (refusal ground): the same applicant filed an invention and a utility
    model for the same creation on the same day (专利法 art. 9) — unless both parties, told of
    it, still ask to proceed."""
    if r.kind is not RightKind.UTILITY_MODEL:
        return
    if not r.same_day_invention:
        c.add(
            Rule.NO_SAME_DAY_INVENTION,
            True,
            f"{r.number}：登记簿未记载同日申请的发明专利。",
            f"{r.number}: the register records no same-day invention application.",
            r.number,
        )
    elif app.proceed_despite_same_day:
        c.add(
            Rule.NO_SAME_DAY_INVENTION,
            False,
            f"{r.number}：同一申请人同日对同样的发明创造已申请发明专利（{r.same_day_invention}）；"
            "双方当事人已声明知悉并仍请求办理质押登记。",
            f"{r.number}: the same applicant filed invention application {r.same_day_invention} "
            "for the same creation on the same day; both parties have declared that they are "
            "aware of it and still ask for registration.",
            r.number,
            declared=True,
        )
    else:
        c.add(
            Rule.NO_SAME_DAY_INVENTION,
            False,
            f"{r.number}：同一申请人同日对同样的发明创造既申请实用新型又申请发明专利"
            f"（{r.same_day_invention}），实用新型专利权可能因取得发明专利权而终止。如双方当事人"
            "知悉后仍请求登记，须明确声明。",
            f"{r.number}: the same applicant filed an invention application "
            f"({r.same_day_invention}) for the same creation on the same day; the utility model "
            "may end when the invention is granted. If both parties, aware of it, still ask for "
            "registration, they must declare so explicitly.",
            r.number,
        )


def _check_dispute(c: _Collector, r: PledgedRight) -> None:
    reasons_zh = [
        zh
        for flag, zh in ((r.disputed, "存在权属纠纷"), (r.preserved, "被法院保全（冻结）"))
        if flag
    ]
    reasons_en = [
        en
        for flag, en in (
            (r.disputed, "an ownership dispute"),
            (r.preserved, "a court preservation"),
        )
        if flag
    ]
    if reasons_zh:
        c.add(
            Rule.NO_DISPUTE_OR_PRESERVATION,
            False,
            f"{r.number}：{'且'.join(reasons_zh)}，相关程序中止，不能办理质押登记。",
            f"{r.number}: {' and '.join(reasons_en)} suspends procedures; it cannot be pledged.",
            r.number,
        )
    else:
        c.add(
            Rule.NO_DISPUTE_OR_PRESERVATION,
            True,
            f"{r.number}：无权属纠纷，未被保全。",
            f"{r.number}: no ownership dispute, no court preservation.",
            r.number,
        )


def _check_term(c: _Collector, term_end: date, r: PledgedRight) -> None:
    if r.expiry_date is None:
        # Never a guessed date: the examiner cannot see that the debt term ends within the right's.
        note_zh, note_en = r.term_note or ("保护期无法计算。", "The term cannot be computed.")
        c.add(
            Rule.TERM_WITHIN_RIGHT,
            False,
            f"{r.number}：{note_zh}无法核对债务履行期限是否超过权利有效期；请先补录相关事实。",
            f"{r.number}: {note_en} Whether the debt term ends within the right's term cannot be "
            "checked; record the missing facts first.",
            r.number,
        )
        return
    last_day = r.expiry_date - timedelta(days=1)
    if term_end >= r.expiry_date:
        c.add(
            Rule.TERM_WITHIN_RIGHT,
            False,
            f"{r.number}：债务履行期限届满日 {term_end.isoformat()} 超过权利有效期"
            f"（至 {last_day.isoformat()}）。",
            f"{r.number}: the debt term ends on {term_end.isoformat()}, after the right expires "
            f"(in force through {last_day.isoformat()}).",
            r.number,
        )
    else:
        c.add(
            Rule.TERM_WITHIN_RIGHT,
            True,
            f"{r.number}：债务履行期限在权利有效期（至 {last_day.isoformat()}）内。",
            f"{r.number}: the debt term ends within the right's term (through "
            f"{last_day.isoformat()}).",
            r.number,
        )


def _check_near_expiry(c: _Collector, term_end: date, r: PledgedRight) -> None:
    if r.expiry_date is None:
        return  # term_within_right already says why the term is unknown
    days = (r.expiry_date - term_end).days
    if days <= NEAR_EXPIRY_DAYS:
        c.add(
            Rule.TERM_END_NEAR_EXPIRY,
            False,
            f"{r.number}：债务履行期限届满日距权利期限届满（{r.expiry_date.isoformat()}）"
            f"不足一年，质物价值可能随之减损。",
            f"{r.number}: the debt term ends less than a year before the right expires "
            f"({r.expiry_date.isoformat()}); the collateral may lose value.",
            r.number,
        )
    else:
        c.add(
            Rule.TERM_END_NEAR_EXPIRY,
            True,
            f"{r.number}：债务履行期限届满日距权利期限届满一年以上。",
            f"{r.number}: the debt term ends more than a year before the right expires.",
            r.number,
        )


def _check_co_owners(c: _Collector, app: PledgeApplication, r: PledgedRight) -> None:
    owners = {_norm_uscc(o.uscc) or o.name for o in r.owners}
    if len(owners) <= 1:
        c.add(
            Rule.CO_OWNERS_CONSENT,
            True,
            f"{r.number}：单一权利人，无需共有人同意。",
            f"{r.number}: a single owner; no co-owners' consent needed.",
            r.number,
        )
    elif app.co_owner_consent:
        c.add(
            Rule.CO_OWNERS_CONSENT,
            True,
            f"{r.number}：共有权利（{len(owners)} 个权利人），已声明全体共有人同意出质。",
            f"{r.number}: co-owned ({len(owners)} owners); all co-owners' consent is declared.",
            r.number,
        )
    else:
        names = "、".join(o.name for o in r.owners)
        c.add(
            Rule.CO_OWNERS_CONSENT,
            False,
            f"{r.number}：共有权利（{names}），缺少全体共有人同意出质的声明。",
            f"{r.number}: co-owned by {len(owners)} owners; all co-owners' consent is missing.",
            r.number,
        )


def _check_not_pledged(c: _Collector, r: PledgedRight) -> None:
    if r.already_pledged_or_pending:
        c.add(
            Rule.NOT_ALREADY_PLEDGED,
            False,
            f"{r.number}：已被质押或已有未决的质押登记申请。",
            f"{r.number}: already pledged or under a pending pledge application.",
            r.number,
        )
    else:
        c.add(
            Rule.NOT_ALREADY_PLEDGED,
            True,
            f"{r.number}：未被质押，无未决的质押登记申请。",
            f"{r.number}: not pledged, no pending pledge application.",
            r.number,
        )


def _check_licence(c: _Collector, r: PledgedRight) -> None:
    if r.exclusive_licence:
        c.add(
            Rule.RIGHT_LICENSED_EXCLUSIVELY,
            False,
            f"{r.number}：已备案独占实施许可，出质人自身不能实施，质物价值与处置可能受影响。",
            f"{r.number}: an exclusive licence is recorded; the pledgor may not use the right "
            "itself, which can affect its value and disposal.",
            r.number,
        )
    else:
        c.add(
            Rule.RIGHT_LICENSED_EXCLUSIVELY,
            True,
            f"{r.number}：无独占许可备案。",
            f"{r.number}: no exclusive licence recorded.",
            r.number,
        )


# --- trademarks: identical or similar marks pledged together -------------------------------------

SIMILARITY_RATIO = 0.75
MIN_CONTAINED_CHARS = 2


def normalize_mark(text: str) -> str:
    """Mark text compared: NFKC (full-width → half-width), case-folded, letters and digits only."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def marks_similar(a: str, b: str) -> bool:
    """Identical or similar mark text: equal once normalised, one containing the other (at least two
    characters), or a difflib ratio of at least 0.75. A mark without text (figurative) is never
    judged similar here."""
    na, nb = normalize_mark(a), normalize_mark(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    short, long_ = (na, nb) if len(na) <= len(nb) else (nb, na)
    if len(short) >= MIN_CONTAINED_CHARS and short in long_:
        return True
    return difflib.SequenceMatcher(None, na, nb, autojunk=False).ratio() >= SIMILARITY_RATIO


def goods_overlap(a: MarkFacts, b: MarkFacts) -> bool:
    """Same or similar goods: a shared 类似群 (similar group); when either mark lacks its groups, a
    shared Nice class."""
    groups_a = {g.strip() for g in a.similar_groups if g.strip()}
    groups_b = {g.strip() for g in b.similar_groups if g.strip()}
    if groups_a and groups_b:
        return bool(groups_a & groups_b)
    return bool(set(a.nice_classes) & set(b.nice_classes))


def _similar(a: MarkFacts, b: MarkFacts) -> bool:
    return marks_similar(a.mark_text, b.mark_text) and goods_overlap(a, b)


def _check_similar_marks(
    c: _Collector, r: PledgedRight, in_application: set[str], others: Sequence[MarkFacts]
) -> None:
    mark = r.mark or MarkFacts(number=r.number, mark_text="")
    missing = [
        other
        for other in others
        if other.number not in in_application and other.number != r.number and _similar(mark, other)
    ]
    if not missing:
        c.add(
            Rule.TRADEMARK_SIMILAR_MARKS_TOGETHER,
            True,
            f"{r.number}：出质人在相同或类似商品上的相同或近似商标均已一并出质（或没有）。",
            f"{r.number}: the pledgor's identical or similar marks on the same or similar goods "
            "are all in this application (or there are none).",
            r.number,
        )
        return
    listed_zh = "、".join(f"第{m.number}号“{m.mark_text}”" for m in missing)
    listed_en = ", ".join(f"No. {m.number} {m.mark_text!r}" for m in missing)
    c.add(
        Rule.TRADEMARK_SIMILAR_MARKS_TOGETHER,
        False,
        f"{r.number}：出质人在相同或类似商品上的相同或近似商标应当一并质押，缺少：{listed_zh}。",
        f"{r.number}: the pledgor's identical or similar marks on the same or similar goods must "
        f"be pledged together; missing: {listed_en}.",
        r.number,
    )


# --- the pre-check -------------------------------------------------------------------------------


def term_checks(term_end: date, rights: Sequence[PledgedRight]) -> list[CheckResult]:
    """The term rules alone (term_within_right, term_end_near_expiry), for a change of term."""
    c = _Collector()
    for r in rights:
        _check_term(c, term_end, r)
        _check_near_expiry(c, term_end, r)
    return c.results


def run_prechecks(
    application: PledgeApplication,
    rights: Sequence[PledgedRight],
    other_marks: Sequence[MarkFacts] = (),
) -> list[CheckResult]:
    """Every rule's result, passed or not, so that the applicant sees the whole list.

    `other_marks` are the pledgor's current (registered, not terminated) trademarks; those that are
    not in the application are the candidates for the similar-marks rule. Order: the application's
    own rules, then each right's rules in a fixed order.
    """
    c = _Collector()
    if application.forfeiture_clause:
        c.add(
            Rule.NO_FORFEITURE_CLAUSE,
            False,
            "质押合同约定债务人不履行到期债务时质押财产归质权人所有（流质条款）。依民法典第四百"
            "二十八条，该约定不发生质押财产归质权人所有的效力，质权人只能依法就质押财产优先受偿；"
            "这不妨碍登记。",
            "The pledge contract lets the pledged right pass to the pledgee on default (a "
            "forfeiture clause). Under Civil Code art. 428 the clause does not make the right "
            "the pledgee's: the pledgee may only seek priority repayment from it by law. This "
            "does not prevent registration.",
        )
    else:
        c.add(
            Rule.NO_FORFEITURE_CLAUSE,
            True,
            "质押合同不含流质条款。",
            "The pledge contract has no forfeiture clause.",
        )
    in_application = {r.number for r in rights}
    has_trademark = False
    for r in rights:
        _check_owner(c, application, r)
        _check_granted(c, r)
        _check_not_terminated(c, r)
        _check_grace(c, r)
        _check_invalidation(c, application, r)
        _check_same_day(c, application, r)
        _check_dispute(c, r)
        _check_term(c, application.term_end, r)
        _check_co_owners(c, application, r)
        _check_not_pledged(c, r)
        if r.kind is RightKind.TRADEMARK:
            has_trademark = True
            _check_similar_marks(c, r, in_application, other_marks)
        _check_near_expiry(c, application.term_end, r)
        _check_licence(c, r)
    if not any(r.kind is RightKind.UTILITY_MODEL for r in rights):
        c.add(
            Rule.NO_SAME_DAY_INVENTION,
            True,
            "申请不含实用新型专利，同日申请发明专利的规则不适用。",
            "No utility model in this application; the rule on a same-day invention application "
            "does not apply.",
        )
    if not has_trademark:
        c.add(
            Rule.TRADEMARK_SIMILAR_MARKS_TOGETHER,
            True,
            "申请不含商标，商标一并质押规则不适用。",
            "No trademark in this application; the rule on pledging similar marks together does "
            "not apply.",
        )
    return c.results


def needs_second_examiner(debt_amount: Decimal, threshold: Decimal | None) -> bool:
    """Dual control (四眼原则) of a registration: an application whose secured debt is ABOVE the
    configured threshold (strictly more; None: no threshold) is registered only when a second
    examiner, not the one who proposed the approval, approves it too. A platform control, not a
    rule of 专利权质押登记办法 (which has one examiner decide): the office turns it on by setting
    IPFIN_DUAL_CONTROL_ABOVE."""
    return threshold is not None and debt_amount > threshold


# --- annuity deposits (预缴年费) ---------------------------------------------------------------
# Issue 12 (seed 000, not on disk, as the issue states it): the pledgor or the pledgee bank deposits
# the annuities falling due during the pledge's term; on each due date the platform records the
# annuity paid from the deposit; what is left is refunded when the pledge is released. The years
# and the fees are the register's (专利法实施细则 2023 r. 115: owed from the grant year, each due on
# the filing anniversary, the grant year's on the grant date; 专利收费标准: the official fee of
# each year, `annuity_amount`). 费减 fee reductions (DOMAIN.md: commonly to 15 %) are not
# modelled: the deposit holds the full official fee, as the register shows it.


class DepositOutcome(StrEnum):
    """What became of one deposited year (none yet while it is not due)."""

    PAID = "paid"  # recorded paid from the deposit, dated on its due date
    PAID_OTHERWISE = "paid_otherwise"  # the register already had the year paid: not paid twice
    NOT_PAYABLE = "not_payable"  # the register refused it (e.g. the right ended before the date)


@dataclass(frozen=True)
class DepositYear:
    """One annuity a deposit covers: the patent year, its due date and its official fee."""

    year: int
    due_date: date
    amount: Decimal


def annuity_deposit_years(
    kind: RightKind,
    filing_date: date,
    grant_date: date | None,
    paid_years: Iterable[int],
    *,
    start: date,
    end: date,
    expiry: date | None = None,
) -> tuple[DepositYear, ...]:
    """The annuities a deposit made on `start` for a pledge whose term ends on `end` covers: every
    year of the register's schedule (`annuity_schedule` to `expiry`, the term's end with any
    compensation, as the register accepts payments; None: the basic term) due from `start` to
    `end`, both days included (民法典 art. 1259: 以内 / 届满 include the day), not already paid
    (`paid_years`), each with its full official fee to the fen. Nothing for a right that owes no
    annuities (not a patent, not granted)."""
    if grant_date is None:
        return ()
    paid = set(paid_years)
    return tuple(
        DepositYear(year=year, due_date=due, amount=to_fen(annuity_amount(kind, year)))
        for year, due in annuity_schedule(kind, filing_date, grant_date, expiry)
        if start <= due <= end and year not in paid
    )


def deposit_total(amounts: Iterable[Decimal]) -> Decimal:
    """The amount deposited: the sum of the years' fees, exact to the fen."""
    return to_fen(sum(amounts, Decimal("0.00")))


def deposit_refund(years: Iterable[tuple[Decimal, str | None]]) -> Decimal:
    """What a released pledge's deposit gives back: every year's fee not paid from it (not due,
    paid otherwise, or refused by the register), so that paid + refund = deposited to the fen."""
    return deposit_total(amount for amount, outcome in years if outcome != DepositOutcome.PAID)


# --- the examiner's desk: what the queue of cases is filtered and sorted by ----------------------


class CaseKind(StrEnum):
    """What the office examines: a registration (质押登记申请) or a change of one (变更登记申请).
    A release (注销) is registered at once on the pledgee's declaration: no case."""

    REGISTRATION = "registration"
    CHANGE = "change"


class CaseStatus(StrEnum):
    """Where a case stands on the desk (the queue's state filter)."""

    SUBMITTED = "submitted"  # waiting for a decision (a proposed approval included)
    AWAITING_CHECK = "awaiting_check"  # an approval proposed, a second examiner to approve
    CORRECTION_REQUESTED = "correction_requested"  # sent back to the parties
    DECIDED = "decided"  # registered / changed, or refused (released ones included)
    ALL = "all"  # all of the above


class DeadlineWindow(StrEnum):
    ALL = "all"
    OVERDUE = "overdue"  # the deadline is before today
    DUE = "due"  # the deadline is today or within the next N working days


class ClaimFilter(StrEnum):
    ALL = "all"
    MINE = "mine"  # held by the examiner looking
    UNCLAIMED = "unclaimed"  # held by no one


class CaseSort(StrEnum):
    DEADLINE = "deadline"  # the nearest deadline first (the default)
    DEADLINE_DESC = "-deadline"
    FILED = "filed"  # the earliest filed first
    FILED_DESC = "-filed"
    BANK = "bank"  # by the pledgee's name
    BANK_DESC = "-bank"
    AMOUNT = "amount"  # the smallest secured debt first
    AMOUNT_DESC = "-amount"


class RightKindGroup(StrEnum):
    """The kinds of right a case's rights are filtered by: patents of any kind, trademarks,
    copyrights, IC layout designs."""

    PATENT = "patent"
    TRADEMARK = "trademark"
    COPYRIGHT = "copyright"
    IC_LAYOUT = "ic_layout"


RIGHT_KIND_GROUPS: dict[RightKindGroup, frozenset[RightKind]] = {
    RightKindGroup.PATENT: frozenset(
        {RightKind.INVENTION, RightKind.UTILITY_MODEL, RightKind.DESIGN}
    ),
    RightKindGroup.TRADEMARK: frozenset({RightKind.TRADEMARK}),
    RightKindGroup.COPYRIGHT: frozenset({RightKind.COPYRIGHT}),
    RightKindGroup.IC_LAYOUT: frozenset({RightKind.IC_LAYOUT}),
}
# "Due within N working days": N from 1 to this (three months of working days).
MAX_DUE_WITHIN_DAYS = 60
DEFAULT_DUE_WITHIN_DAYS = 3


@dataclass(frozen=True)
class CaseQuery:
    """The queue's filters and order, as the page's GET parameters and the API's query parse
    them (each value one of its vocabulary: `case_query` refuses any other)."""

    status: CaseStatus = CaseStatus.SUBMITTED
    deadline: DeadlineWindow = DeadlineWindow.ALL
    within_days: int = DEFAULT_DUE_WITHIN_DAYS
    kind: CaseKind | None = None  # None: both kinds
    right_kind: RightKindGroup | None = None  # None: any
    bank_id: int | None = None  # the pledgee
    claim: ClaimFilter = ClaimFilter.ALL
    sort: CaseSort = CaseSort.DEADLINE


def _one_of(enum: type[StrEnum], value: object, field: str, zh: str, en: str) -> StrEnum:
    try:
        return enum(str(value))
    except ValueError:
        allowed = [member.value for member in enum]
        raise invalid(
            field,
            f"{field}_invalid",
            f"{zh}“{str(value)[:40]}”无效。",
            f"{en} {str(value)[:40]!r} is not one of {', '.join(allowed)}.",
            allowed=allowed,
        ) from None


def case_query(
    *,
    status: str | None = None,
    deadline: str | None = None,
    within_days: int | None = None,
    kind: str | None = None,
    right_kind: str | None = None,
    bank_id: int | None = None,
    claim: str | None = None,
    sort: str | None = None,
) -> CaseQuery:
    """The queue's filters from raw values (None or "": the default), or a 422 naming the first
    bad one (`status_invalid`, `deadline_invalid`, `within_days_invalid`, `kind_invalid`,
    `right_kind_invalid`, `claim_invalid`, `sort_invalid`, `bank_invalid`), with the values
    allowed."""
    days = DEFAULT_DUE_WITHIN_DAYS if within_days is None else within_days
    if not 1 <= days <= MAX_DUE_WITHIN_DAYS:
        raise invalid(
            "within_days",
            "within_days_invalid",
            f"到期工作日数应在 1 至 {MAX_DUE_WITHIN_DAYS} 之间。",
            f"The number of working days must be from 1 to {MAX_DUE_WITHIN_DAYS}.",
            min=1,
            max=MAX_DUE_WITHIN_DAYS,
        )
    if bank_id is not None and bank_id < 1:
        raise invalid("bank", "bank_invalid", "请选择一家银行。", "Choose a bank.")
    return CaseQuery(
        status=CaseStatus(_one_of(CaseStatus, status or "submitted", "status", "状态", "status")),
        deadline=DeadlineWindow(
            _one_of(DeadlineWindow, deadline or "all", "deadline", "审查期限条件", "deadline")
        ),
        within_days=days,
        kind=CaseKind(_one_of(CaseKind, kind, "kind", "案件类型", "kind")) if kind else None,
        right_kind=(
            RightKindGroup(
                _one_of(RightKindGroup, right_kind, "right_kind", "权利类型", "right_kind")
            )
            if right_kind
            else None
        ),
        bank_id=bank_id,
        claim=ClaimFilter(_one_of(ClaimFilter, claim or "all", "claim", "认领条件", "claim")),
        sort=CaseSort(_one_of(CaseSort, sort or "deadline", "sort", "排序方式", "sort")),
    )
