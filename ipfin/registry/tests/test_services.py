"""Registry writes through the real services and database: validation, holder history, audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from ipfin.accounts.domain import make_uscc
from ipfin.accounts.models import Notification, Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, NotAuthenticated, PermissionDenied, ValidationFailed
from ipfin.registry.models import Right, RightEvent, RightOwner
from ipfin.registry.selectors import current_owners, right_status
from ipfin.registry.services import right_create, right_event_record
from ipfin.registry.tests.conftest import REAL_UTILITY_MODEL_NO
from ipfin.registry.tests.factories import patent_no

pytestmark = pytest.mark.django_db

MakeRight = Callable[..., Right]
_GOOD_USCC = make_uscc(seq=1234)
# The same code with a wrong final check character.
BAD_CHECK_USCC = _GOOD_USCC[:-1] + ("0" if _GOOD_USCC[-1] != "0" else "1")


def _create_kw(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "number": patent_no(),
        "kind": "invention",
        "title": "一种电池管理系统",
        "filing_date": date(2015, 3, 10),
        "grant_date": date(2018, 5, 20),
        "owners": [{"name": "甲科技有限公司"}],
    }
    return base | kw


def _reject(code: str, fn: Callable[..., Any], **kw: Any) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        fn(**kw)
    assert info.value.code == code, (info.value.code, info.value.detail_en)
    assert info.value.status == 422
    assert info.value.detail_zh and info.value.detail_en
    return info.value


# --- right_create --------------------------------------------------------------------------------


def test_create_stores_canonical_number_owners_and_audit(
    examiner: User, enterprise_a: Organisation
):
    right = right_create(
        actor=examiner,
        **_create_kw(
            number="CN 2012 2024 9767 4",
            kind="utility_model",
            title="一种散热器",
            filing_date=date(2012, 5, 28),
            grant_date=date(2013, 1, 2),
            owners=[
                {"name": "甲科技有限公司", "uscc": enterprise_a.uscc.lower(), "share": "0.6"},
                {"name": "张三", "share": Decimal("0.4")},
            ],
            publication_no="CN202123456U",
        ),
    )
    right.refresh_from_db()
    assert right.number == REAL_UTILITY_MODEL_NO
    assert right.publication_no == "CN202123456U"
    owners = list(right.owners.order_by("id"))
    assert [(o.name, o.uscc, o.share) for o in owners] == [
        ("甲科技有限公司", enterprise_a.uscc, Decimal("0.6")),
        ("张三", "", Decimal("0.4")),
    ]
    assert owners[0].organisation_id == enterprise_a.pk  # linked by credit code
    assert owners[1].organisation_id is None
    assert all(o.valid_from == date(2012, 5, 28) and o.valid_to is None for o in owners)

    record = AuditRecord.objects.get(action="right.create", object_id=str(right.pk))
    assert record.actor == examiner
    assert record.organisation_id == examiner.organisation_id
    assert record.before is None
    assert record.after["number"] == REAL_UTILITY_MODEL_NO
    assert record.after["owners"][0] == {
        "name": "甲科技有限公司",
        "uscc": enterprise_a.uscc,
        "share": "0.6",
    }
    # Granted 2013-01-02 in patent year 1 with no annuity recorded: lapsed from the grant date
    # (the earliest terminating fact; the 10-year term ran out later, on 2022-05-28).
    assert record.after["status"]["status"] == "lapsed"
    assert record.after["status"]["since"] == "2013-01-02"
    assert record.after["status"]["unpaid_year"] == 1
    # The owning enterprise is told.
    assert Notification.objects.filter(organisation=enterprise_a, verb="right.create").count() == 1


def test_create_equal_shares_sum_to_exactly_one(make_right: MakeRight):
    right = make_right(owners=[{"name": "甲"}, {"name": "乙"}, {"name": "丙"}])
    shares = [o.share for o in right.owners.order_by("id")]
    assert shares == [Decimal("0.333334"), Decimal("0.333333"), Decimal("0.333333")]
    assert sum(shares) == 1


@pytest.mark.parametrize(
    ("actor_fixture", "error"),
    [
        ("bank_a_user", PermissionDenied),
        ("enterprise_a_user", PermissionDenied),
        ("anonymous", NotAuthenticated),
    ],
)
def test_create_requires_the_ip_office(
    request: pytest.FixtureRequest, actor_fixture: str, error: type[Exception]
):
    actor = (
        AnonymousUser() if actor_fixture == "anonymous" else request.getfixturevalue(actor_fixture)
    )
    with pytest.raises(error):
        right_create(actor=actor, **_create_kw())
    assert not Right.objects.exists()
    assert not AuditRecord.objects.filter(action="right.create").exists()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"number": "201220249767.5", "kind": "utility_model"}, "number_bad_check_digit"),
        ({"number": "20122024976"}, "number_bad_format"),
        ({"number": REAL_UTILITY_MODEL_NO, "kind": "invention"}, "number_kind_mismatch"),
        ({"kind": "plant_variety"}, "unknown_kind"),
        ({"title": "   "}, "title_required"),
        ({"grant_date": date(2015, 3, 9)}, "grant_before_filing"),
        ({"owners": []}, "owners_required"),
        ({"owners": [{"name": " "}]}, "owner_name_required"),
        ({"owners": [{"name": "甲", "uscc": BAD_CHECK_USCC}]}, "uscc_check_char"),
        ({"owners": [{"name": "甲", "uscc": "123"}]}, "uscc_length"),
        (
            {"owners": [{"name": "甲", "share": "0.5"}, {"name": "乙", "share": "0.4"}]},
            "owner_shares_sum",
        ),
        ({"owners": [{"name": "甲", "share": "0.5"}, {"name": "乙"}]}, "owner_share_missing"),
        ({"owners": [{"name": "甲", "share": "1.5"}]}, "owner_share_invalid"),
        ({"owners": [{"name": "甲", "share": 0}]}, "owner_share_invalid"),
        ({"owners": [{"name": "甲", "share": "abc"}]}, "owner_share_invalid"),
        ({"owners": [{"name": "甲", "share": True}]}, "owner_share_invalid"),
        (
            {
                "owners": [
                    {"name": "甲", "share": "0.3333333"},
                    {"name": "乙", "share": "0.6666667"},
                ]
            },
            "owner_share_precision",
        ),
        ({"nice_classes": [9]}, "nice_classes_not_trademark"),
    ],
)
def test_create_rejects_bad_input_with_a_code(examiner: User, changes: dict[str, Any], code: str):
    _reject(code, right_create, actor=examiner, **_create_kw(**changes))
    assert not Right.objects.exists()
    assert not RightOwner.objects.exists()


def test_bad_check_digit_message_names_the_expected_digit(examiner: User):
    error = _reject(
        "number_bad_check_digit",
        right_create,
        actor=examiner,
        **_create_kw(number="201220249767.5", kind="utility_model"),
    )
    assert "4" in error.detail_en and "4" in error.detail_zh


def test_duplicate_owner_codes_rejected(examiner: User):
    code = make_uscc(seq=42)
    owners = [{"name": "甲", "uscc": code}, {"name": "乙", "uscc": code.lower()}]
    _reject("owner_duplicate", right_create, actor=examiner, **_create_kw(owners=owners))


def test_duplicate_number_in_any_spelling_is_a_conflict(make_right: MakeRight):
    make_right(number=REAL_UTILITY_MODEL_NO, kind="utility_model", filing_date=date(2012, 5, 28))
    with pytest.raises(Conflict) as info:
        make_right(number="CN2012202497674", kind="utility_model", filing_date=date(2012, 5, 28))
    assert info.value.code == "right_exists"
    assert Right.objects.count() == 1


def test_trademark_with_classes(make_right: MakeRight):
    right = make_right(
        kind="trademark",
        number="第0012345号",
        title="青松",
        mark_text="青松",
        filing_date=date(2014, 1, 1),
        grant_date=date(2015, 2, 14),
        nice_classes=[9, 42],
        similar_groups=["0901", "4209"],
    )
    right.refresh_from_db()
    assert right.number == "12345"
    assert right.nice_classes == [9, 42]
    assert right.similar_groups == ["0901", "4209"]


def test_trademark_bad_groups_rejected(examiner: User):
    kw = _create_kw(kind="trademark", number="777", similar_groups=["9"], grant_date=None)
    _reject("similar_groups_invalid", right_create, actor=examiner, **kw)
    kw = _create_kw(kind="trademark", number="777", nice_classes=[46], grant_date=None)
    _reject("nice_classes_invalid", right_create, actor=examiner, **kw)


# --- events: annuities ---------------------------------------------------------------------------


def _event(examiner: User, right: Right, type: str, on: date, **payload: Any) -> RightEvent:
    return right_event_record(actor=examiner, right=right, type=type, date=on, payload=payload)


def test_annuity_payment_cures_grace_and_stores_fee(examiner: User, make_right: MakeRight):
    right = make_right()  # invention filed 2015-03-10, granted 2018-05-20: first annuity year 4
    on = date(2018, 8, 1)
    assert right_status(right, on=on).status == "grace_period"
    event = _event(examiner, right, "annuity_paid", on, year=4)
    assert right_status(right, on=on).status == "in_force"
    # Due 2018-05-20, paid 2018-08-01: third month overdue → 10% late fee of 1,200 yuan.
    assert event.payload == {
        "year": 4,
        "due_date": "2018-05-20",
        "amount": "1200.00",
        "late_fee_rate": "0.10",
        "late_fee": "120.00",
    }
    event.refresh_from_db()
    assert event.recorded_by == examiner


@pytest.mark.parametrize("year", [3, 21, 0, "5", None, True, 4.5])
def test_annuity_year_must_be_owed(examiner: User, make_right: MakeRight, year: Any):
    right = make_right()
    error = _reject(
        "annuity_year_invalid",
        _event,
        examiner=examiner,
        right=right,
        type="annuity_paid",
        on=date(2018, 5, 20),
        year=year,
    )
    assert error.extra == {"first_year": 4, "last_year": 20}
    assert not RightEvent.objects.exists()


def test_annuity_rules(examiner: User, make_right: MakeRight):
    right = make_right()
    _event(examiner, right, "annuity_paid", date(2018, 5, 20), year=4)
    kw = {"examiner": examiner, "right": right, "type": "annuity_paid"}
    _reject("annuity_already_paid", _event, on=date(2018, 6, 1), year=4, **kw)
    # Year 5 due 2019-03-10: grace ends 2019-09-10.
    _reject("annuity_too_late", _event, on=date(2019, 9, 11), year=5, **kw)
    _reject("right_terminated", _event, on=date(2020, 1, 1), year=6, **kw)
    pending = make_right(grant_date=None)
    _reject(
        "right_not_granted", _event, examiner=examiner, right=pending, type="annuity_paid",
        on=date(2016, 1, 1), year=2,
    )  # fmt: skip
    mark = make_right(kind="trademark", grant_date=date(2016, 1, 1))
    _reject(
        "event_not_for_kind", _event, examiner=examiner, right=mark, type="annuity_paid",
        on=date(2016, 1, 1), year=1,
    )  # fmt: skip
    assert RightEvent.objects.count() == 1


# --- events: the other types ---------------------------------------------------------------------


def test_every_event_type_is_reflected_in_status(examiner: User, make_right: MakeRight):
    right = make_right()
    _event(examiner, right, "annuity_paid", date(2018, 5, 20), year=4)
    _event(examiner, right, "annuity_paid", date(2019, 3, 1), year=5)
    _event(examiner, right, "invalidation_requested", date(2019, 4, 1), requester="乙公司")
    s = right_status(right, on=date(2019, 4, 1))
    assert (s.status, s.invalidation_pending) == ("in_force", True)
    _event(examiner, right, "invalidation_dismissed", date(2019, 6, 1))
    assert right_status(right, on=date(2019, 6, 1)).invalidation_pending is False
    _event(examiner, right, "preservation", date(2019, 7, 1), court="北京知识产权法院")
    assert right_status(right, on=date(2019, 7, 1)).preserved is True
    _event(examiner, right, "preservation_lifted", date(2019, 8, 1))
    assert right_status(right, on=date(2019, 8, 1)).preserved is False
    _event(examiner, right, "dispute", date(2019, 9, 1), note="(2019)京73民初1号")
    assert right_status(right, on=date(2019, 9, 1)).disputed is True
    _event(examiner, right, "dispute_resolved", date(2019, 10, 1))
    assert right_status(right, on=date(2019, 10, 1)).disputed is False
    licence = _event(
        examiner, right, "licence", date(2019, 11, 1), licence_type="exclusive", licensee="丙公司"
    )
    assert licence.payload == {"licence_type": "exclusive", "licensee": "丙公司"}
    _event(examiner, right, "invalidated", date(2019, 12, 1), scope="partial")
    assert right_status(right, on=date(2019, 12, 1)).status == "in_force"  # partial: still valid
    _event(examiner, right, "annuity_paid", date(2020, 3, 1), year=6)
    # Year 7 due 2021-03-10 unpaid: lapsed from that day (grace ended 2021-09-10)...
    lapsed = right_status(right, on=date(2021, 10, 1))
    assert (lapsed.status, lapsed.since, lapsed.unpaid_year) == ("lapsed", date(2021, 3, 10), 7)
    # ...until restored.
    _event(examiner, right, "restored", date(2021, 11, 1))
    restored = right_status(right, on=date(2021, 11, 1))
    assert (restored.status, restored.since) == ("in_force", date(2021, 11, 1))
    _event(examiner, right, "surrender", date(2021, 12, 1))
    s = right_status(right, on=date(2021, 12, 1))
    assert (s.status, s.since) == ("surrendered", date(2021, 12, 1))
    assert right_status(right, on=date(2021, 11, 30)).status == "in_force"


def test_whole_invalidation_ends_the_right(examiner: User, make_right: MakeRight):
    right = make_right()
    _event(examiner, right, "annuity_paid", date(2018, 5, 20), year=4)
    event = _event(examiner, right, "invalidated", date(2018, 9, 1))
    assert event.payload == {"scope": "whole"}
    s = right_status(right, on=date(2018, 9, 1))
    assert (s.status, s.since) == ("invalidated", date(2018, 9, 1))


def test_trademark_renewal(examiner: User, make_right: MakeRight):
    mark = make_right(kind="trademark", filing_date=date(2013, 1, 1), grant_date=date(2014, 1, 10))
    in_grace = right_status(mark, on=date(2024, 3, 1))
    assert (in_grace.status, in_grace.since) == ("grace_period", date(2024, 1, 10))
    kw = {"examiner": examiner, "right": mark, "type": "renewed"}
    _reject("renewal_out_of_window", _event, on=date(2022, 12, 31), **kw)
    _reject("renewal_out_of_window", _event, on=date(2024, 7, 11), **kw)
    event = _event(examiner, mark, "renewed", date(2023, 6, 1))
    assert event.payload == {"term_until": "2034-01-10"}
    s = right_status(mark, on=date(2024, 3, 1))
    assert (s.status, s.expiry_date) == ("in_force", date(2034, 1, 10))
    # A second renewal in the same window is out of the new term's window.
    _reject("renewal_out_of_window", _event, on=date(2023, 7, 1), **kw)
    patent = make_right()
    _reject(
        "event_not_for_kind", _event, examiner=examiner, right=patent, type="renewed",
        on=date(2024, 1, 1),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("type", "payload", "code"),
    [
        ("expired", {}, "unknown_event_type"),
        ("licence", {"licence_type": "exclusive"}, "licensee_required"),
        ("licence", {"licence_type": "cross", "licensee": "丙"}, "licence_type_invalid"),
        (
            "licence",
            {"licence_type": "sole", "licensee": "丙", "licensee_uscc": BAD_CHECK_USCC},
            "uscc_check_char",
        ),
        ("invalidated", {"scope": "most"}, "invalidation_scope_invalid"),
        ("invalidation_dismissed", {}, "no_pending_invalidation"),
        ("preservation_lifted", {}, "not_preserved"),
        ("dispute_resolved", {}, "no_dispute"),
        ("restored", {}, "restore_not_lapsed"),
        ("transfer", {}, "owners_required"),
        ("transfer", {"owners": [{"name": "乙", "uscc": "bad"}]}, "uscc_length"),
        ("dispute", {"year": 5}, "event_field_not_allowed"),
    ],
)
def test_event_payload_validation(
    examiner: User, make_right: MakeRight, type: str, payload: dict[str, Any], code: str
):
    right = make_right()
    before = list(RightOwner.objects.values_list("pk", "valid_to"))
    _reject(code, _event, examiner=examiner, right=right, type=type, on=date(2018, 6, 1), **payload)
    assert not RightEvent.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="right.event").exists()
    assert list(RightOwner.objects.values_list("pk", "valid_to")) == before


def test_event_before_filing_date_rejected(examiner: User, make_right: MakeRight):
    right = make_right()
    _reject(
        "event_before_filing", _event, examiner=examiner, right=right, type="dispute",
        on=date(2015, 3, 9),
    )  # fmt: skip


def test_surrender_only_while_in_force(examiner: User, make_right: MakeRight):
    right = make_right()
    _event(examiner, right, "annuity_paid", date(2018, 5, 20), year=4)
    _event(examiner, right, "surrender", date(2018, 6, 1))
    _reject(
        "surrender_not_in_force", _event, examiner=examiner, right=right, type="surrender",
        on=date(2018, 7, 1),
    )  # fmt: skip


def test_bank_cannot_record_events(bank_a_user: User, make_right: MakeRight):
    right = make_right()
    with pytest.raises(PermissionDenied):
        _event(bank_a_user, right, "preservation", date(2018, 6, 1))
    assert not RightEvent.objects.exists()


# --- transfer and holder history -----------------------------------------------------------------


def test_transfer_closes_current_owners_and_keeps_history(
    examiner: User, make_right: MakeRight, enterprise_a: Organisation, make_org: Callable[..., Any]
):
    buyer = make_org(name="乙科技有限公司")
    right = make_right(owners=[{"name": "甲科技有限公司", "uscc": enterprise_a.uscc}])
    event = _event(
        examiner,
        right,
        "transfer",
        date(2020, 7, 1),
        owners=[
            {"name": "乙科技有限公司", "uscc": buyer.uscc, "share": "0.75"},
            {"name": "李四", "share": 0.25},
        ],
    )
    assert event.payload["owners"] == [
        {"name": "乙科技有限公司", "uscc": buyer.uscc, "share": "0.75"},
        {"name": "李四", "uscc": "", "share": "0.25"},
    ]
    history = list(right.owners.order_by("valid_from", "id"))
    assert [(o.name, o.valid_from, o.valid_to) for o in history] == [
        ("甲科技有限公司", date(2015, 3, 10), date(2020, 7, 1)),
        ("乙科技有限公司", date(2020, 7, 1), None),
        ("李四", date(2020, 7, 1), None),
    ]
    assert history[1].organisation_id == buyer.pk
    assert [o.name for o in current_owners(right, on=date(2020, 6, 30))] == ["甲科技有限公司"]
    assert [o.name for o in current_owners(right, on=date(2020, 7, 1))] == [
        "乙科技有限公司",
        "李四",
    ]

    record = AuditRecord.objects.get(action="right.event.transfer")
    assert record.actor == examiner
    assert record.before["owners"] == [
        {"name": "甲科技有限公司", "uscc": enterprise_a.uscc, "share": "1"}
    ]
    assert record.after["owners"] == event.payload["owners"]
    assert record.before["status"]["status"] == record.after["status"]["status"]
    # Both the seller and the buyer are told.
    assert Notification.objects.filter(verb="right.event.transfer").count() == 2

    # A later transfer may not be dated before the current owners' start.
    _reject(
        "transfer_before_current_owners", _event, examiner=examiner, right=right, type="transfer",
        on=date(2020, 6, 1), owners=[{"name": "丙"}],
    )  # fmt: skip
    assert right.owners.count() == 3


def test_event_audit_has_before_and_after_status(examiner: User, make_right: MakeRight):
    today = timezone.localdate()
    right = make_right(
        filing_date=today - timedelta(days=900), grant_date=today - timedelta(days=60)
    )
    before = right_status(right, on=today)
    assert before.status == "grace_period"
    event = _event(examiner, right, "annuity_paid", today, year=before.unpaid_year)
    record = AuditRecord.objects.get(action="right.event.annuity_paid")
    assert record.actor == examiner
    assert record.object_type == "registry.right" and record.object_id == str(right.pk)
    assert record.before["status"]["status"] == "grace_period"
    assert record.after["status"]["status"] == "in_force"
    assert record.after["event"]["id"] == event.pk
    assert record.after["event"]["year"] == before.unpaid_year


# --- prices of transfers and licences (the market approach's comparables) -----------------------


def test_transfer_and_licence_store_their_price(examiner: User, make_right: MakeRight):
    right = make_right()
    licence = _event(
        examiner,
        right,
        "licence",
        date(2019, 11, 1),
        licence_type="ordinary",
        licensee="丙公司",
        price="450000",
    )
    # 许可使用费 stored as canonical money text: two decimals.
    assert licence.payload == {
        "licence_type": "ordinary",
        "licensee": "丙公司",
        "price": "450000.00",
    }
    transfer = _event(
        examiner, right, "transfer", date(2020, 1, 2), owners=[{"name": "乙公司"}], price="1.5"
    )
    assert transfer.payload["price"] == "1.50"
    audit = AuditRecord.objects.get(action="right.event.transfer")
    assert audit.after["event"]["price"] == "1.50"
    # Absent (or null): nothing recorded, as before.
    unpriced = _event(
        examiner, right, "licence", date(2020, 2, 1), licence_type="sole", licensee="丁", price=None
    )
    assert "price" not in unpriced.payload


@pytest.mark.parametrize("price", ["-1", "1,000", "1.234", "abc", "", "1e6", 1.5, True, "１００"])
def test_a_bad_price_is_refused_and_nothing_is_recorded(
    examiner: User, make_right: MakeRight, price: Any
):
    right = make_right()
    error = _reject(
        "amount_invalid",  # the same code as every other amount; the field says which
        _event,
        examiner=examiner,
        right=right,
        type="licence",
        on=date(2019, 1, 1),
        licence_type="ordinary",
        licensee="丙",
        price=price,
    )
    assert error.extra == {"field": "price"}
    assert not RightEvent.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="right.event").exists()


def test_only_transfers_and_licences_take_a_price(examiner: User, make_right: MakeRight):
    right = make_right()
    _reject(
        "event_field_not_allowed",
        _event,
        examiner=examiner,
        right=right,
        type="dispute",
        on=date(2019, 1, 1),
        price="100",
    )
    assert not RightEvent.objects.exists()


def test_create_stores_ipc_codes_as_the_imports_do(examiner: User):
    """IPC codes typed in lower case, with spaces, a tab, an edition suffix, empty and repeated
    codes are stored as the imports store them (import_mapping.normalize_ipc), so that every
    reader compares the same text: here the score's read, whose IPC breadth and cohort field
    agree on both databases."""
    from ipfin.valuation.portfolio import read_portfolio, tech_field

    right = right_create(
        actor=examiner,
        **_create_kw(
            ipc_main="g06f 17/30\t(2006.01)I",
            ipc_codes="G06F 17/30 ;\tH04L9/00(2006.01)I；;G06F17/30; ",
        ),
    )
    right.refresh_from_db()
    assert right.ipc_main == "G06F17/30"
    assert right.ipc_codes == "G06F17/30;H04L9/00"
    assert tech_field(right.ipc_main, right.kind) == "G06F"
    portfolio = read_portfolio(on=date(2024, 1, 1), min_cohort=1)
    at = [int(pk) for pk in portfolio.right_id].index(right.pk)
    assert portfolio.columns["ipc_subclass_count"][at] == 2


def test_migration_0007_rewrites_untidy_ipc_codes_and_leaves_tidy_ones(
    examiner: User, make_right: MakeRight
):
    """Rights entered before right_create normalised their IPC codes (written here past the
    service) are rewritten by the data migration; a tidy right is not touched."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("ipfin.registry.migrations.0007_canonical_ipc_codes")
    untidy, spaced, tidy = make_right(), make_right(), make_right(ipc_main="G06F17/30")
    Right.objects.filter(pk=untidy.pk).update(
        ipc_main="G06F 17/30\t", ipc_codes=";G06F 17/30(2006.01)I;;h04l 9/00;G06F17/30"
    )
    # Spaces that PostgreSQL's regular expressions do not call whitespace (no-break, ideographic).
    Right.objects.filter(pk=spaced.pk).update(
        ipc_main="\xa0G06F17/30", ipc_codes="G06F17/30;\u3000G06F17/31"
    )
    tidy_before = Right.objects.filter(pk=tidy.pk).values("ipc_main", "ipc_codes").get()
    migration._canonical(apps, None)
    assert Right.objects.filter(pk=untidy.pk).values("ipc_main", "ipc_codes").get() == {
        "ipc_main": "G06F17/30",
        "ipc_codes": "G06F17/30;H04L9/00",
    }
    assert Right.objects.filter(pk=spaced.pk).values("ipc_main", "ipc_codes").get() == {
        "ipc_main": "G06F17/30",
        "ipc_codes": "G06F17/30;G06F17/31",
    }
    assert Right.objects.filter(pk=tidy.pk).values("ipc_main", "ipc_codes").get() == tidy_before


def test_an_annuity_of_the_compensated_term_is_paid_zhuanlifa_art42(examiner: User) -> None:
    """An invention filed 2004-03-10 with 600 days of term compensation (专利法 2020 art. 42 ¶2)
    owes year 21, due 2024-03-10, as its status says: paid that day, it stays in force. The
    register had refused year 21 ("owes years 4 to 20"), and the patent then showed lapsed
    inside its extended term."""
    from ipfin.registry.domain import RightKind, annuity_schedule

    filed, granted = date(2004, 3, 10), date(2007, 5, 20)
    right = right_create(
        actor=examiner, kind="invention", number=patent_no("invention", 2004), title="补偿期专利",
        filing_date=filed, grant_date=granted, owners=[{"name": "甲科技有限公司"}],
    )  # fmt: skip
    right_event_record(
        actor=examiner, right=right, type="term_compensation", date=date(2008, 1, 1),
        payload={"days": 600, "kind": "grant_delay"},
    )  # fmt: skip
    for year, due in annuity_schedule(RightKind.INVENTION, filed, granted):
        right_event_record(
            actor=examiner, right=right, type="annuity_paid", date=due, payload={"year": year}
        )
    assert right_status(right, on=date(2024, 3, 1)).next_annuity == (21, date(2024, 3, 10))
    right_event_record(
        actor=examiner, right=right, type="annuity_paid", date=date(2024, 3, 10),
        payload={"year": 21},
    )  # fmt: skip
    assert right_status(right, on=date(2024, 12, 1)).status == "in_force"
