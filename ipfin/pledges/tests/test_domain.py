"""Pure pledge rules: the state machine, every pre-check rule (both outcomes), mark similarity and
registration numbers. No database."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.accounts.domain import make_uscc
from ipfin.pledges.domain import (
    ACTIVE_STATES,
    BLOCKING_RULES,
    FINAL_STATES,
    TRANSITIONS,
    WARNING_RULES,
    ChangeState,
    CheckResult,
    IllegalTransition,
    MarkFacts,
    OwnerFacts,
    PledgeAction,
    PledgeApplication,
    PledgedRight,
    PledgeErrorCode,
    PledgeState,
    Rule,
    allowed_actions,
    blocking_failures,
    declared_risks,
    format_registration_no,
    goods_overlap,
    is_registration_no,
    marks_similar,
    next_change_state,
    next_state,
    normalize_mark,
    run_prechecks,
    term_checks,
)
from ipfin.registry.domain import TERMINAL_STATUSES, RightKind, Status

PLEDGOR = make_uscc(seq=101)
OTHER = make_uscc(seq=202)
TODAY = date(2026, 3, 2)
EXPIRY = date(2035, 6, 1)


def right(number: str = "201910123456.7", **kw: object) -> PledgedRight:
    base: dict[str, object] = {
        "number": number,
        "kind": RightKind.INVENTION,
        "status": Status.IN_FORCE,
        "expiry_date": EXPIRY,
        "since": date(2020, 1, 1),
        "owners": (OwnerFacts("甲科技有限公司", PLEDGOR),),
    }
    base.update(kw)
    return PledgedRight(**base)  # type: ignore[arg-type]


def trademark(
    number: str, text: str, groups: tuple[str, ...] = ("0901",), **kw: object
) -> PledgedRight:
    classes = tuple(int(g[:2]) for g in groups) or (9,)
    return right(
        number,
        kind=RightKind.TRADEMARK,
        mark=MarkFacts(number, text, nice_classes=classes, similar_groups=groups),
        **kw,
    )


def app(**kw: object) -> PledgeApplication:
    base: dict[str, object] = {
        "pledgor_uscc": PLEDGOR,
        "term_start": TODAY,
        "term_end": date(2029, 3, 1),
        "today": TODAY,
    }
    base.update(kw)
    return PledgeApplication(**base)  # type: ignore[arg-type]


def result(checks: list[CheckResult], rule: Rule, number: str | None = None) -> CheckResult:
    found = [
        c for c in checks if c.rule == rule.value and (number is None or c.right_number == number)
    ]
    assert len(found) == 1, (rule, number, found)
    return found[0]


def outcome(
    rule: Rule, application: PledgeApplication, rights: list[PledgedRight], **kw: object
) -> CheckResult:
    checks = run_prechecks(application, rights, **kw)  # type: ignore[arg-type]
    return result(
        checks, rule, rights[0].number if rights and rule != Rule.NO_FORFEITURE_CLAUSE else None
    )


# --- state machine -------------------------------------------------------------------------------


def test_happy_path_transitions_banfa_art3_art7() -> None:
    """办法 arts. 3, 7: filed by one party, an application awaits the other party's signature
    before it reaches the examiner."""
    s = next_state(None, PledgeAction.SUBMIT)
    assert s is PledgeState.AWAITING_CONFIRMATION
    s = next_state(s, PledgeAction.CONFIRM)
    assert s is PledgeState.SUBMITTED
    s = next_state(s, PledgeAction.REQUEST_CORRECTION)
    assert s is PledgeState.CORRECTION_REQUESTED
    s = next_state(s, "resubmit")
    assert s is PledgeState.SUBMITTED
    s = next_state(s, PledgeAction.APPROVE)
    assert s is PledgeState.REGISTERED
    assert next_state(s, PledgeAction.CHANGE) is PledgeState.REGISTERED
    assert next_state(s, PledgeAction.RELEASE) is PledgeState.RELEASED
    assert next_state("submitted", "reject") is PledgeState.REJECTED
    assert next_state("correction_requested", "withdraw") is PledgeState.WITHDRAWN
    assert next_state("correction_requested", "amend") is PledgeState.AWAITING_CONFIRMATION
    assert next_state("awaiting_confirmation", "decline") is PledgeState.DECLINED
    assert next_state("awaiting_confirmation", "lapse") is PledgeState.LAPSED
    assert next_state("awaiting_confirmation", "withdraw") is PledgeState.WITHDRAWN


@pytest.mark.parametrize("decision", ["approve", "reject", "request_correction"])
def test_an_unconfirmed_application_cannot_be_decided_banfa_art3(decision: str) -> None:
    with pytest.raises(IllegalTransition):
        next_state(PledgeState.AWAITING_CONFIRMATION, decision)


def test_change_applications_follow_their_own_table_banfa_art3() -> None:
    s = next_change_state(None, PledgeAction.CHANGE)
    assert s is ChangeState.AWAITING_CONFIRMATION
    assert next_change_state(s, "confirm") is ChangeState.SUBMITTED
    assert next_change_state("submitted", "approve") is ChangeState.APPROVED
    assert next_change_state("submitted", "request_correction") is ChangeState.CORRECTION_REQUESTED
    with pytest.raises(IllegalTransition):
        next_change_state(ChangeState.AWAITING_CONFIRMATION, "approve")
    with pytest.raises(IllegalTransition):
        next_change_state(ChangeState.APPROVED, "withdraw")


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("registered", "approve"),
        ("submitted", "release"),
        ("submitted", "change"),
        ("correction_requested", "approve"),
        ("released", "release"),
        ("rejected", "resubmit"),
        ("registered", "withdraw"),
        ("submitted", "submit"),
    ],
)
def test_illegal_transitions_raise_with_stable_code(state: str, action: str) -> None:
    with pytest.raises(IllegalTransition) as info:
        next_state(state, action)
    assert info.value.code == PledgeErrorCode.ILLEGAL_TRANSITION == "illegal_transition"
    assert info.value.message_zh and info.value.message_en


def test_unknown_state_or_action_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        next_state("nonsense", PledgeAction.APPROVE)
    with pytest.raises(ValueError):
        next_state(PledgeState.SUBMITTED, "explode")


@given(st.sampled_from([None, *PledgeState]), st.sampled_from(list(PledgeAction)))
def test_transition_table_is_the_only_truth(
    state: PledgeState | None, action: PledgeAction
) -> None:
    if (state, action) in TRANSITIONS:
        assert next_state(state, action) is TRANSITIONS[(state, action)]
        assert action in allowed_actions(state)
    else:
        with pytest.raises(IllegalTransition):
            next_state(state, action)
        assert action not in allowed_actions(state)


def test_final_states_have_no_way_out_and_active_states_do() -> None:
    for state in FINAL_STATES:
        assert allowed_actions(state) == frozenset()
    for state in ACTIVE_STATES:
        assert allowed_actions(state)
    assert set(PledgeState) == ACTIVE_STATES | FINAL_STATES
    assert not ACTIVE_STATES & FINAL_STATES


# --- registration numbers ------------------------------------------------------------------------


def test_registration_number_format() -> None:
    assert format_registration_no(2026, 1) == "Y2026000000001"
    assert format_registration_no(2026, 980000001) == "Y2026980000001"
    assert is_registration_no("Y2026980000001")
    assert not is_registration_no("Y202698000000")
    assert not is_registration_no("X2026980000001")
    with pytest.raises(ValueError):
        format_registration_no(2026, 0)
    with pytest.raises(ValueError):
        format_registration_no(2026, 10**9)
    with pytest.raises(ValueError):
        format_registration_no(99, 1)


@given(st.integers(1000, 9999), st.integers(1, 10**9 - 1))
def test_registration_numbers_are_well_formed_and_ordered(year: int, seq: int) -> None:
    text = format_registration_no(year, seq)
    assert is_registration_no(text)
    assert len(text) == 14
    if seq < 10**9 - 1:
        assert text < format_registration_no(year, seq + 1)


# --- every rule, both outcomes -------------------------------------------------------------------


def test_clean_application_passes_every_rule_and_lists_them_all() -> None:
    checks = run_prechecks(app(), [right()])
    assert blocking_failures(checks) == []
    assert all(c.passed for c in checks)
    rules = {c.rule for c in checks}
    assert rules == {r.value for r in Rule}
    for c in checks:
        assert c.blocking is (Rule(c.rule) in BLOCKING_RULES)
        assert c.message_zh and c.message_en


def test_forfeiture_clause_is_a_warning_minfadian_art428() -> None:
    """民法典 art. 428: a forfeiture clause voids nothing — the pledgee may only seek priority
    repayment; the 2021 办法 no longer names it among the grounds for refusal."""
    assert outcome(Rule.NO_FORFEITURE_CLAUSE, app(), [right()]).passed
    warned = outcome(Rule.NO_FORFEITURE_CLAUSE, app(forfeiture_clause=True), [right()])
    assert not warned.passed and not warned.blocking and not warned.blocks
    assert "流质" in warned.message_zh and "民法典第四百二十八条" in warned.message_zh
    assert "优先受偿" in warned.message_zh
    assert "Civil Code art. 428" in warned.message_en and "priority" in warned.message_en
    assert warned.right_number is None
    assert Rule.NO_FORFEITURE_CLAUSE in WARNING_RULES


def test_same_day_invention_refuses_unless_both_parties_proceed_banfa() -> None:
    """专利权质押登记办法 (refusal ground, 专利法 art. 9): the same applicant's same-day invention
    and utility model for the same creation — unless the parties, informed, still proceed."""
    um = right("201920123456.1", kind=RightKind.UTILITY_MODEL, same_day_invention="201910123456.7")
    failed = outcome(Rule.NO_SAME_DAY_INVENTION, app(), [um])
    assert failed.blocks and "201910123456.7" in failed.message_zh
    declared = outcome(Rule.NO_SAME_DAY_INVENTION, app(proceed_despite_same_day=True), [um])
    # Let through, and still not met: a warning, never a tick (issue 13).
    assert not declared.blocks and not declared.passed and not declared.blocking
    assert "知悉" in declared.message_zh
    plain = right("201920123457.X", kind=RightKind.UTILITY_MODEL)
    assert outcome(Rule.NO_SAME_DAY_INVENTION, app(), [plain]).passed
    # Not a utility model: one application-level "does not apply".
    checks = run_prechecks(app(), [right()])
    assert result(checks, Rule.NO_SAME_DAY_INVENTION).right_number is None


def test_pledgor_is_owner_banfa_art12() -> None:
    assert outcome(Rule.PLEDGOR_IS_OWNER, app(pledgor_uscc=PLEDGOR.lower()), [right()]).passed
    failed = outcome(Rule.PLEDGOR_IS_OWNER, app(pledgor_uscc=OTHER), [right()])
    assert failed.blocks
    assert "甲科技有限公司" in failed.message_zh
    assert outcome(Rule.PLEDGOR_IS_OWNER, app(), [right(owners=())]).blocks


def test_pledgor_is_owner_among_co_owners_banfa_art12() -> None:
    owners = (OwnerFacts("乙", OTHER, Decimal("0.5")), OwnerFacts("甲", PLEDGOR, Decimal("0.5")))
    assert outcome(Rule.PLEDGOR_IS_OWNER, app(), [right(owners=owners)]).passed


def test_right_granted_banfa_art12() -> None:
    assert outcome(Rule.RIGHT_GRANTED, app(), [right()]).passed
    failed = outcome(Rule.RIGHT_GRANTED, app(), [right(status=Status.PENDING)])
    assert failed.blocks
    assert "申请" in failed.message_zh


@pytest.mark.parametrize("status", sorted(TERMINAL_STATUSES))
def test_right_not_terminated_blocks_each_terminal_status_banfa_art12(status: Status) -> None:
    failed = outcome(
        Rule.RIGHT_NOT_TERMINATED, app(), [right(status=status, since=date(2025, 5, 1))]
    )
    assert failed.blocks
    assert "2025-05-01" in failed.message_zh
    assert status.value in failed.message_en


@pytest.mark.parametrize("status", [Status.IN_FORCE, Status.GRACE_PERIOD, Status.PENDING])
def test_right_not_terminated_passes_otherwise_banfa_art12(status: Status) -> None:
    assert outcome(Rule.RIGHT_NOT_TERMINATED, app(), [right(status=status)]).passed


def test_annuity_not_in_grace_banfa_art12() -> None:
    assert outcome(Rule.ANNUITY_NOT_IN_GRACE, app(), [right()]).passed
    failed = outcome(
        Rule.ANNUITY_NOT_IN_GRACE,
        app(),
        [right(status=Status.GRACE_PERIOD, grace_until=date(2026, 8, 10), unpaid_year=7)],
    )
    assert failed.blocks
    assert "2026-08-10" in failed.message_zh
    assert "第7年度" in failed.message_zh
    assert "2026-08-10" in failed.message_en


def test_annuity_not_in_grace_trademark_renewal_wording_shangbiaofa_art40() -> None:
    failed = outcome(
        Rule.ANNUITY_NOT_IN_GRACE,
        app(),
        [trademark("12345", "星河", status=Status.GRACE_PERIOD, grace_until=date(2026, 9, 1))],
    )
    assert failed.blocks
    assert "续展" in failed.message_zh


def test_no_invalidation_pending_unless_both_proceed_banfa_art12() -> None:
    assert outcome(Rule.NO_INVALIDATION_PENDING, app(), [right()]).passed
    pending = [right(invalidation_pending=True)]
    failed = outcome(Rule.NO_INVALIDATION_PENDING, app(), pending)
    assert failed.blocks
    declared = outcome(
        Rule.NO_INVALIDATION_PENDING, app(proceed_despite_invalidation=True), pending
    )
    # The parties proceed, informed: not refused, and not passed either — a warning (issue 13:
    # a pending invalidation declared by the parties is never a green tick).
    assert not declared.blocks
    assert not declared.passed and not declared.blocking
    assert "声明" in declared.message_zh
    assert declared_risks([declared.as_dict()]) == [declared.as_dict()]
    # A rule met, a refusal and a mere warning rule are no declared risk.
    plain = outcome(Rule.NO_INVALIDATION_PENDING, app(), [right()])
    assert declared_risks([plain.as_dict(), failed.as_dict()]) == []


def test_declared_risks_read_stored_results_of_both_declarations_banfa_art12() -> None:
    um = right("201920123456.1", kind=RightKind.UTILITY_MODEL, same_day_invention="201910123456.7")
    pending = right("201910000001.5", invalidation_pending=True)
    declared = app(proceed_despite_invalidation=True, proceed_despite_same_day=True)
    checks = [c.as_dict() for c in run_prechecks(declared, [um, pending])]
    risks = declared_risks(checks)
    assert {(c["rule"], c["right"]) for c in risks} == {
        (Rule.NO_SAME_DAY_INVENTION.value, um.number),
        (Rule.NO_INVALIDATION_PENDING.value, pending.number),
    }
    assert not blocking_failures(run_prechecks(declared, [um, pending]))


@pytest.mark.parametrize(
    ("disputed", "preserved", "word"),
    [(True, False, "权属纠纷"), (False, True, "保全"), (True, True, "且")],
)
def test_no_dispute_or_preservation_blocks_banfa_art12(
    disputed: bool, preserved: bool, word: str
) -> None:
    failed = outcome(
        Rule.NO_DISPUTE_OR_PRESERVATION, app(), [right(disputed=disputed, preserved=preserved)]
    )
    assert failed.blocks
    assert word in failed.message_zh


def test_no_dispute_or_preservation_passes_banfa_art12() -> None:
    assert outcome(Rule.NO_DISPUTE_OR_PRESERVATION, app(), [right()]).passed


def test_term_within_right_boundary_banfa_art12() -> None:
    last_in_force = EXPIRY - timedelta(days=1)
    assert outcome(Rule.TERM_WITHIN_RIGHT, app(term_end=last_in_force), [right()]).passed
    failed = outcome(Rule.TERM_WITHIN_RIGHT, app(term_end=EXPIRY), [right()])
    assert failed.blocks
    assert last_in_force.isoformat() in failed.message_zh


def test_co_owners_consent_banfa_art12() -> None:
    co = (OwnerFacts("甲", PLEDGOR, Decimal("0.6")), OwnerFacts("乙", OTHER, Decimal("0.4")))
    assert outcome(Rule.CO_OWNERS_CONSENT, app(), [right()]).passed
    failed = outcome(Rule.CO_OWNERS_CONSENT, app(), [right(owners=co)])
    assert failed.blocks
    assert "乙" in failed.message_zh
    assert outcome(Rule.CO_OWNERS_CONSENT, app(co_owner_consent=True), [right(owners=co)]).passed


def test_not_already_pledged_banfa_art12() -> None:
    assert outcome(Rule.NOT_ALREADY_PLEDGED, app(), [right()]).passed
    failed = outcome(Rule.NOT_ALREADY_PLEDGED, app(), [right(already_pledged_or_pending=True)])
    assert failed.blocks


def test_term_end_near_expiry_is_a_warning() -> None:
    near = outcome(Rule.TERM_END_NEAR_EXPIRY, app(term_end=EXPIRY - timedelta(days=365)), [right()])
    assert not near.passed
    assert near.blocking is False
    assert not near.blocks
    far = outcome(Rule.TERM_END_NEAR_EXPIRY, app(term_end=EXPIRY - timedelta(days=366)), [right()])
    assert far.passed


def test_exclusive_licence_is_a_warning() -> None:
    warned = outcome(Rule.RIGHT_LICENSED_EXCLUSIVELY, app(), [right(exclusive_licence=True)])
    assert not warned.passed
    assert not warned.blocks
    assert outcome(Rule.RIGHT_LICENSED_EXCLUSIVELY, app(), [right()]).passed


# --- trademarks pledged together -----------------------------------------------------------------


def test_similar_mark_on_similar_goods_must_be_pledged_together_tm_pledge_rules_art5() -> None:
    tm = trademark("30001", "星河")
    other = MarkFacts("30002", "星河科技", nice_classes=(9,), similar_groups=("0901",))
    failed = outcome(Rule.TRADEMARK_SIMILAR_MARKS_TOGETHER, app(), [tm], other_marks=[other])
    assert failed.blocks
    assert "30002" in failed.message_zh and "星河科技" in failed.message_zh
    assert "30002" in failed.message_en


def test_similar_mark_in_the_same_application_passes_tm_pledge_rules_art5() -> None:
    tm1, tm2 = trademark("30001", "星河"), trademark("30002", "星河科技")
    others = [tm2.mark] if tm2.mark else []
    checks = run_prechecks(app(), [tm1, tm2], others)
    assert result(checks, Rule.TRADEMARK_SIMILAR_MARKS_TOGETHER, "30001").passed
    assert result(checks, Rule.TRADEMARK_SIMILAR_MARKS_TOGETHER, "30002").passed


def test_similar_mark_on_other_goods_is_not_required_tm_pledge_rules_art5() -> None:
    tm = trademark("30001", "星河")
    other = MarkFacts("30003", "星河", nice_classes=(30,), similar_groups=("3002",))
    assert outcome(Rule.TRADEMARK_SIMILAR_MARKS_TOGETHER, app(), [tm], other_marks=[other]).passed


def test_similar_groups_missing_falls_back_to_nice_class() -> None:
    tm = trademark("30001", "BLUESKY")
    same_class = MarkFacts("30004", "bluesky", nice_classes=(9,))
    other_class = MarkFacts("30005", "bluesky", nice_classes=(35,))
    assert outcome(
        Rule.TRADEMARK_SIMILAR_MARKS_TOGETHER, app(), [tm], other_marks=[same_class]
    ).blocks
    assert outcome(
        Rule.TRADEMARK_SIMILAR_MARKS_TOGETHER, app(), [tm], other_marks=[other_class]
    ).passed


def test_dissimilar_mark_is_not_required() -> None:
    tm = trademark("30001", "星河")
    other = MarkFacts("30006", "海燕", nice_classes=(9,), similar_groups=("0901",))
    assert outcome(Rule.TRADEMARK_SIMILAR_MARKS_TOGETHER, app(), [tm], other_marks=[other]).passed


def test_similar_marks_rule_reported_once_when_no_trademark() -> None:
    checks = run_prechecks(app(), [right("201910123456.7"), right("202020123456.1")])
    rule = [c for c in checks if c.rule == Rule.TRADEMARK_SIMILAR_MARKS_TOGETHER]
    assert len(rule) == 1
    assert rule[0].passed and rule[0].right_number is None


@pytest.mark.parametrize(
    ("a", "b", "similar"),
    [
        ("星河", "星河", True),
        ("ＳＴＡＲ", "star", True),  # full-width and case folded
        ("Star River", "star-river", True),  # spaces and punctuation ignored
        ("华为", "华为技术", True),  # contained, two characters
        ("华", "华为技术", False),  # a single character is not enough
        ("APPLE", "APPLY", True),  # difflib ratio 2·4/10 = 0.8 >= 0.75
        ("APPLE", "AMPLY", False),  # ratio 2·3/10 = 0.6
        ("海燕", "星河", False),
        ("", "星河", False),  # figurative mark, no text
    ],
)
def test_marks_similar_cases(a: str, b: str, similar: bool) -> None:
    assert marks_similar(a, b) is similar
    assert marks_similar(b, a) is similar


def test_normalize_mark() -> None:
    assert normalize_mark(" Ｈｅｌｌｏ，World! ") == "helloworld"
    assert normalize_mark("星 河") == "星河"


@given(st.text(min_size=1, max_size=12), st.text(max_size=12))
def test_marks_similar_is_symmetric_and_reflexive(a: str, b: str) -> None:
    assert marks_similar(a, b) is marks_similar(b, a)
    if normalize_mark(a):
        assert marks_similar(a, a)


def test_goods_overlap() -> None:
    a = MarkFacts("1", "x", nice_classes=(9,), similar_groups=("0901", "0907"))
    assert goods_overlap(a, MarkFacts("2", "x", nice_classes=(9,), similar_groups=("0907",)))
    # Same class, different similar groups: not similar goods.
    assert not goods_overlap(a, MarkFacts("3", "x", nice_classes=(9,), similar_groups=("0913",)))
    assert goods_overlap(a, MarkFacts("4", "x", nice_classes=(9,)))


# --- properties ----------------------------------------------------------------------------------

_BLOCKING_FLIPS: dict[Rule, tuple[dict[str, object], dict[str, object]]] = {
    Rule.PLEDGOR_IS_OWNER: ({"pledgor_uscc": OTHER}, {}),
    Rule.RIGHT_GRANTED: ({}, {"status": Status.PENDING}),
    Rule.RIGHT_NOT_TERMINATED: ({}, {"status": Status.LAPSED}),
    Rule.ANNUITY_NOT_IN_GRACE: ({}, {"status": Status.GRACE_PERIOD}),
    Rule.NO_INVALIDATION_PENDING: ({}, {"invalidation_pending": True}),
    Rule.NO_DISPUTE_OR_PRESERVATION: ({}, {"preserved": True}),
    Rule.TERM_WITHIN_RIGHT: ({"term_end": EXPIRY + timedelta(days=3)}, {}),
    Rule.CO_OWNERS_CONSENT: (
        {},
        {
            "owners": (
                OwnerFacts("甲", PLEDGOR, Decimal("0.5")),
                OwnerFacts("乙", OTHER, Decimal("0.5")),
            )
        },
    ),
    Rule.NOT_ALREADY_PLEDGED: ({}, {"already_pledged_or_pending": True}),
}


@given(st.sampled_from(sorted(_BLOCKING_FLIPS)))
def test_flipping_one_fact_fails_exactly_its_rule(rule: Rule) -> None:
    app_change, right_change = _BLOCKING_FLIPS[rule]
    checks = run_prechecks(app(**app_change), [right(**right_change)])
    assert {c.rule for c in blocking_failures(checks)} == {rule.value}


def test_every_blocking_rule_has_a_flip_or_a_trademark_or_utility_model_case() -> None:
    assert set(_BLOCKING_FLIPS) | {
        Rule.TRADEMARK_SIMILAR_MARKS_TOGETHER,
        Rule.NO_SAME_DAY_INVENTION,
    } == set(BLOCKING_RULES)
    assert {
        Rule.TERM_END_NEAR_EXPIRY,
        Rule.RIGHT_LICENSED_EXCLUSIVELY,
        Rule.NO_FORFEITURE_CLAUSE,
    } == WARNING_RULES


_rights = st.builds(
    lambda i, status, pledged, inv, pres, disp, days: right(
        f"R{i}",
        status=status,
        already_pledged_or_pending=pledged,
        invalidation_pending=inv,
        preserved=pres,
        disputed=disp,
        expiry_date=TODAY + timedelta(days=days),
    ),
    st.integers(0, 10**6),
    st.sampled_from(list(Status)),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.integers(1, 9000),
)


@given(
    st.lists(_rights, min_size=1, max_size=5, unique_by=lambda r: r.number),
    st.integers(0, 9000),
    st.booleans(),
    st.booleans(),
)
def test_every_rule_reports_for_every_right(
    rights: list[PledgedRight], term_days: int, forfeiture: bool, proceed: bool
) -> None:
    application = app(
        term_end=TODAY + timedelta(days=term_days),
        forfeiture_clause=forfeiture,
        proceed_despite_invalidation=proceed,
    )
    checks = run_prechecks(application, rights)
    per_right_rules = set(Rule) - {
        Rule.NO_FORFEITURE_CLAUSE,
        Rule.TRADEMARK_SIMILAR_MARKS_TOGETHER,
        Rule.NO_SAME_DAY_INVENTION,  # utility models only: these rights are inventions
    }
    for r in rights:
        mine = [c for c in checks if c.right_number == r.number]
        assert {c.rule for c in mine} == {rule.value for rule in per_right_rules}
        assert len(mine) == len(per_right_rules)
    # Outcomes follow the facts exactly.
    for r in rights:
        assert result(checks, Rule.TERM_WITHIN_RIGHT, r.number).passed is (
            application.term_end < r.expiry_date
        )
        assert result(checks, Rule.NOT_ALREADY_PLEDGED, r.number).passed is (
            not r.already_pledged_or_pending
        )
        invalidation = result(checks, Rule.NO_INVALIDATION_PENDING, r.number)
        assert invalidation.passed is not r.invalidation_pending
        assert invalidation.blocks is (r.invalidation_pending and not proceed)
    blocked = bool(blocking_failures(checks))
    # A forfeiture clause only warns (民法典 art. 428): it never blocks.
    clean = all(
        r.status in (Status.IN_FORCE,)
        and not r.already_pledged_or_pending
        and (not r.invalidation_pending or proceed)
        and not r.preserved
        and not r.disputed
        and application.term_end < r.expiry_date
        for r in rights
    )
    assert blocked is not clean


@given(st.integers(-400, 800))
def test_term_checks_match_prechecks(offset: int) -> None:
    r = right()
    term_end = EXPIRY - timedelta(days=offset)
    standalone = term_checks(term_end, [r])
    full = run_prechecks(app(term_end=term_end), [r])
    assert [c.rule for c in standalone] == ["term_within_right", "term_end_near_expiry"]
    assert standalone[0].passed is (term_end < EXPIRY)
    assert standalone[1].passed is (offset > 365)
    assert result(full, Rule.TERM_WITHIN_RIGHT) == standalone[0]
    assert result(full, Rule.TERM_END_NEAR_EXPIRY) == standalone[1]


def test_check_result_as_dict() -> None:
    check = CheckResult("right_granted", False, True, "中", "en", "X1")
    assert check.as_dict() == {
        "rule": "right_granted",
        "passed": False,
        "blocking": True,
        "message_zh": "中",
        "message_en": "en",
        "right": "X1",
    }
    assert check.blocks
    assert not dataclasses.replace(check, passed=True).blocks


# --- the term rule when the term cannot be computed (著作权法 art. 23) ----------------------------


def test_term_unknown_blocks_with_the_reason_zzf_art23() -> None:
    """A copyright whose term the register cannot compute: the examiner cannot see that the debt
    term ends within it, so the rule does not pass and says why (never a guessed date)."""
    note = ("登记簿未记载作者死亡日期。", "The register has no date of the author's death.")
    work = right("2019SR0123456", kind=RightKind.COPYRIGHT, expiry_date=None, term_note=note)
    checks = run_prechecks(app(), [work])
    term = [c for c in checks if c.rule == Rule.TERM_WITHIN_RIGHT]
    assert len(term) == 1 and term[0].blocks
    assert "作者死亡日期" in term[0].message_zh and "author's death" in term[0].message_en
    assert not any(c.rule == Rule.TERM_END_NEAR_EXPIRY for c in checks)
    known = run_prechecks(app(), [right("2019SR0123456", kind=RightKind.COPYRIGHT)])
    assert not any(c.blocks for c in known if c.rule == Rule.TERM_WITHIN_RIGHT)
