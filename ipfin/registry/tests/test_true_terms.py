"""True terms through the real services and API: term compensation (专利法 art. 42), IC layouts
(集成电路布图设计保护条例 art. 12), copyright (著作权法 art. 23), trademark renewals (商标法
art. 40), and the facts they rest on (real database, real HTTP)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, PermissionDenied, ValidationFailed
from ipfin.registry.domain import add_years
from ipfin.registry.models import Right
from ipfin.registry.selectors import right_status
from ipfin.registry.services import right_event_record, right_term_facts_set
from ipfin.registry.tests.factories import patent_no

pytestmark = pytest.mark.django_db

MakeRight = Callable[..., Right]


def _record(examiner: Any, right: Right, type_: str, on: date, **payload: Any) -> Any:
    return right_event_record(actor=examiner, right=right, type=type_, date=on, payload=payload)


# --- term compensation ---------------------------------------------------------------------------


def test_grant_delay_compensation_extends_status_zlf_art42_2(
    make_right: MakeRight, examiner: Any
) -> None:
    right = make_right()  # filed 2015-03-10: basic term to 2035-03-09
    today = timezone.localdate()
    assert right_status(right, on=today).expiry_date == date(2035, 3, 10)
    _record(examiner, right, "term_compensation", date(2018, 8, 1), days=200, kind="grant_delay")
    assert right_status(right, on=today).expiry_date == date(2035, 3, 10) + timedelta(days=200)
    audit = AuditRecord.objects.filter(action="right.event.term_compensation").get()
    assert audit.after["status"]["expiry_date"] == (date(2035, 9, 26)).isoformat()


def test_drug_compensation_over_5_years_is_refused_zlf_art42_3(
    make_right: MakeRight, examiner: Any
) -> None:
    right = make_right()
    with pytest.raises(ValidationFailed) as caught:
        _record(
            examiner, right, "term_compensation", date(2019, 1, 1), days=1828, kind="drug_approval"
        )
    assert caught.value.code == "drug_compensation_over_5_years"
    assert "第四十二条第三款" in caught.value.detail_zh
    _record(examiner, right, "term_compensation", date(2019, 1, 1), days=1827, kind="drug_approval")
    assert right_status(right, on=date(2025, 1, 1)).expiry_date == date(2040, 3, 10)


def test_one_compensation_of_each_kind_and_only_for_granted_inventions_zlf_art42(
    make_right: MakeRight, examiner: Any
) -> None:
    right = make_right()
    _record(examiner, right, "term_compensation", date(2018, 8, 1), days=10, kind="grant_delay")
    with pytest.raises(Conflict):
        _record(examiner, right, "term_compensation", date(2018, 9, 1), days=5, kind="grant_delay")
    um = make_right(kind="utility_model")
    with pytest.raises(ValidationFailed):
        _record(examiner, um, "term_compensation", date(2018, 8, 1), days=10, kind="grant_delay")
    pending = make_right(grant_date=None)
    with pytest.raises(ValidationFailed):
        _record(
            examiner, pending, "term_compensation", date(2018, 8, 1), days=10, kind="grant_delay"
        )
    for bad in ({"days": 0, "kind": "grant_delay"}, {"days": 5, "kind": "whim"}, {"days": "5"}):
        with pytest.raises(ValidationFailed):
            _record(examiner, right, "term_compensation", date(2019, 1, 1), **bad)


def test_term_compensation_over_the_api(office: Any, public: Any, make_right: MakeRight) -> None:
    right = make_right()
    url = f"/api/v1/rights/{right.number}/events"
    response = office.post_json(
        url, {"type": "term_compensation", "date": "2018-08-01", "days": 365, "kind": "grant_delay"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["payload"] == {"days": 365, "kind": "grant_delay"}
    assert response.json()["status"]["expiry_date"] == "2036-03-09"
    status = public.get(f"/api/v1/rights/{right.number}/status", {"on": "2017-01-01"}).json()
    assert status["expiry_date"] == "2035-03-10"  # as the register stood before the decision
    too_long = office.post_json(
        url, {"type": "term_compensation", "date": "2018-08-01", "days": 0, "kind": "grant_delay"}
    )
    assert too_long.status_code == 422


# --- IC layouts and copyright --------------------------------------------------------------------


def test_ic_layout_created_with_first_commercial_use_tiaoli_art12(
    make_right: MakeRight, public: Any
) -> None:
    right = make_right(
        kind="ic_layout",
        number="BS.12500123.4",
        filing_date=date(2019, 7, 1),
        grant_date=date(2019, 12, 1),
        first_commercial_use=date(2018, 3, 1),
        created_on=date(2017, 1, 1),
    )
    assert right_status(right, on=date(2025, 1, 1)).expiry_date == date(2028, 3, 1)
    data = public.get(f"/api/v1/rights/{right.number}").json()
    assert data["first_commercial_use"] == "2018-03-01" and data["created_on"] == "2017-01-01"
    assert data["status"]["expiry_date"] == "2028-03-01"


def test_copyright_term_unknown_until_the_author_is_recorded_zzf_art23(
    make_right: MakeRight, office: Any, public: Any
) -> None:
    right = make_right(
        kind="copyright",
        number="国作登字-2019-F-00123456",
        filing_date=date(2019, 5, 20),
        grant_date=date(2019, 6, 1),
        author_kind="person",
        created_on=date(2018, 1, 1),
    )
    status = public.get(f"/api/v1/rights/{right.number}/status", {"on": "2025-01-01"}).json()
    assert status["status"] == "in_force" and status["expiry_date"] is None
    assert "著作权法第二十三条" in status["term_note"]
    english = public.get(
        f"/api/v1/rights/{right.number}/status",
        {"on": "2025-01-01"},
        HTTP_ACCEPT_LANGUAGE="en",
    ).json()
    assert "Copyright Law art. 23" in english["term_note"]
    response = office.patch(
        f"/api/v1/rights/{right.number}",
        {"author_died_on": "2020-02-02"},
        content_type="application/json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"]["expiry_date"] == "2071-01-01"
    assert response.json()["author_died_on"] == "2020-02-02"
    audit = AuditRecord.objects.get(action="right.term_facts")
    assert audit.before["status"]["expiry_date"] is None
    assert audit.after["status"]["expiry_date"] == "2071-01-01"


def test_term_facts_belong_to_their_kinds_and_follow_each_other(
    make_right: MakeRight, examiner: Any, bank_a_user: Any
) -> None:
    patent = make_right()
    with pytest.raises(ValidationFailed) as caught:
        right_term_facts_set(
            actor=examiner, right=patent, version=patent.version, author_kind="person"
        )
    assert caught.value.code == "field_not_for_kind"
    work = make_right(
        kind="copyright",
        number="2019SR0123456",
        filing_date=date(2019, 5, 20),
        grant_date=date(2019, 6, 1),
    )
    with pytest.raises(ValidationFailed) as caught:
        right_term_facts_set(
            actor=examiner, right=work, version=work.version, created_on=date(2019, 6, 1)
        )
    assert caught.value.code == "created_after"  # creation after the filing
    with pytest.raises(ValidationFailed) as caught:
        right_term_facts_set(
            actor=examiner,
            right=work,
            version=work.version,
            author_kind="organisation",
            author_died_on=date(2020, 1, 1),
        )
    assert caught.value.code == "author_died_not_person"
    with pytest.raises(ValidationFailed) as caught:
        right_term_facts_set(
            actor=examiner,
            right=work,
            version=work.version,
            first_published_on=timezone.localdate() + timedelta(days=1),
        )
    assert caught.value.code == "date_out_of_range"
    with pytest.raises(PermissionDenied):
        right_term_facts_set(
            actor=bank_a_user, right=work, version=work.version, author_kind="organisation"
        )
    work.refresh_from_db()
    assert (work.author_kind, work.created_on, work.first_published_on) == ("", None, None)


def test_same_day_invention_is_a_valid_invention_filed_the_same_day_zlf_art9(
    make_right: MakeRight, examiner: Any
) -> None:
    um = make_right(kind="utility_model", filing_date=date(2016, 4, 1), grant_date=date(2016, 9, 1))
    with pytest.raises(ValidationFailed):
        right_term_facts_set(
            actor=examiner,
            right=um,
            version=um.version,
            same_day_invention=patent_no("utility_model"),
        )
    other_day = make_right(filing_date=date(2016, 4, 2), grant_date=None)
    with pytest.raises(ValidationFailed) as caught:
        right_term_facts_set(
            actor=examiner, right=um, version=um.version, same_day_invention=other_day.number
        )
    assert caught.value.code == "same_day_invention_not_same_day"
    same_day = make_right(filing_date=date(2016, 4, 1), grant_date=None)
    right_term_facts_set(
        actor=examiner, right=um, version=um.version, same_day_invention=same_day.number
    )
    um.refresh_from_db()
    assert um.same_day_invention == same_day.number
    unknown = patent_no("invention", 2016)  # not in the register: taken as entered
    right_term_facts_set(actor=examiner, right=um, version=um.version, same_day_invention=unknown)
    um.refresh_from_db()
    assert um.same_day_invention == unknown


# --- trademark renewals --------------------------------------------------------------------------


def test_trademark_renewal_filed_then_approved_after_the_grace_period_shangbiaofa_art40(
    make_right: MakeRight, examiner: Any
) -> None:
    mark = make_right(
        kind="trademark",
        number="12345678",
        filing_date=date(2014, 1, 1),
        grant_date=date(2015, 4, 14),
        mark_text="示范",
        nice_classes=[9],
    )
    expiry = add_years(date(2015, 4, 14), 10)
    with pytest.raises(ValidationFailed) as caught:
        _record(examiner, mark, "renewal_filed", expiry - timedelta(days=400))
    assert caught.value.code == "renewal_out_of_window"
    _record(examiner, mark, "renewal_filed", expiry - timedelta(days=30))
    with pytest.raises(Conflict):
        _record(examiner, mark, "renewal_filed", expiry - timedelta(days=20))
    status = right_status(mark, on=expiry - timedelta(days=29))
    assert status.renewal_pending is True
    # Approved after the grace period (2025-10-31, in the past): it counts, filed in time.
    _record(examiner, mark, "renewed", expiry + timedelta(days=200))
    after = right_status(mark, on=expiry + timedelta(days=201))
    assert (after.status.value, after.expiry_date) == ("in_force", add_years(expiry, 10))


def test_same_day_invention_of_another_applicant_is_refused_zlf_art9(
    make_right: MakeRight, examiner: Any
) -> None:
    """The rule concerns the SAME applicant's invention and utility model (专利法 art. 9)."""
    um = make_right(
        kind="utility_model",
        filing_date=date(2016, 4, 1),
        grant_date=date(2016, 9, 1),
        owners=[{"name": "甲科技有限公司"}],
    )
    other = make_right(filing_date=date(2016, 4, 1), grant_date=None, owners=[{"name": "乙公司"}])
    with pytest.raises(ValidationFailed) as caught:
        right_term_facts_set(
            actor=examiner, right=um, version=um.version, same_day_invention=other.number
        )
    assert caught.value.code == "same_day_invention_other_applicant"
    um.refresh_from_db()
    assert um.same_day_invention == ""


def test_term_facts_endpoint_declares_its_statuses(
    office: Any, make_right: MakeRight, api_client: Any, bank_a_user: Any
) -> None:
    from ipfin.api import api

    right = make_right()
    assert (
        api_client(bank_a_user)
        .patch(
            f"/api/v1/rights/{right.number}",
            {"created_on": None},
            content_type="application/json",
            HTTP_IF_MATCH='"1"',
        )
        .status_code
        == 403
    )
    assert (
        office.patch(
            f"/api/v1/rights/{right.number}",
            {"author_kind": "person"},
            content_type="application/json",
            HTTP_IF_MATCH='"1"',
        ).status_code
        == 422
    )
    assert (
        office.patch(
            "/api/v1/rights/201510999999.9",
            {"created_on": None},
            content_type="application/json",
            HTTP_IF_MATCH='"1"',
        ).status_code
        == 404
    )

    document = api.get_openapi_schema()
    patch = document["paths"]["/api/v1/rights/{number}"]["patch"]
    assert {200, 401, 403, 404, 422} <= {int(code) for code in patch["responses"]}
    events = document["paths"]["/api/v1/rights/{number}/events"]["post"]
    assert {201, 401, 403, 404, 409, 422} <= {int(code) for code in events["responses"]}
