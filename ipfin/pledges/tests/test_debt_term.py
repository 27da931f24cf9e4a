"""The secured debt's term as entered (`pledges.domain.check_debt_term`), in every path that sets
it: filing (API and page), the live pre-check, a correction, a change of the term's end.

A security test filed a pledge for a debt term 1900-01-01 → 1901-01-01: it was accepted and could
be registered. A term that ended before the filing day is now a 422 `term_ended` naming
`term_end`, and one starting before 1985-04-01 (China's Patent Law in force) a 422
`term_start_too_early` naming `term_start`. An input sanity rule, not a ground of 办法 art. 12:
the pre-check results are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import ValidationFailed
from ipfin.pledges.domain import EARLIEST_TERM_START, check_debt_term
from ipfin.pledges.models import Pledge, PledgeChange, PledgeDocument
from ipfin.pledges.services import pledge_change, pledge_decide, pledge_resubmit
from ipfin.registry.models import Right

Submit = Callable[..., tuple[Pledge, list[Any]]]
FILED_ON = date(2026, 3, 2)


def refusal(exc: pytest.ExceptionInfo[ValidationFailed]) -> tuple[int, str, Any]:
    return exc.value.status, exc.value.code, exc.value.extra.get("field")


def body(right: Right, enterprise: Organisation, term_start: str, term_end: str) -> dict[str, Any]:
    return {
        "pledgor_uscc": enterprise.uscc,
        "rights": [right.number],
        "debt_amount": "5000000.00",
        "term_start": term_start,
        "term_end": term_end,
        "contract_no": "ZY-2026-001",
    }


# --- the pure rule -------------------------------------------------------------------------------


def test_term_ended_before_the_filing_day_is_term_ended_on_term_end() -> None:
    with pytest.raises(ValidationFailed) as exc:
        check_debt_term(date(1900, 1, 1), date(1901, 1, 1), filed_on=FILED_ON)
    assert refusal(exc) == (422, "term_ended", "term_end")
    assert exc.value.detail_zh == (
        "债务履行期限止日 1901-01-01 早于申请日 2026-03-02：履行期限已届满的债务不能办理质押登记。"
    )
    assert exc.value.detail_en == (
        "The end of the debt term, 1901-01-01, is before the filing day 2026-03-02: a debt whose "
        "term has ended cannot be secured by a new registration."
    )
    with pytest.raises(ValidationFailed) as exc:
        check_debt_term(date(2025, 3, 1), FILED_ON - timedelta(days=1), filed_on=FILED_ON)
    assert refusal(exc) == (422, "term_ended", "term_end")


def test_term_ending_on_the_filing_day_is_accepted() -> None:
    check_debt_term(date(2025, 3, 2), FILED_ON, filed_on=FILED_ON)
    check_debt_term(FILED_ON, FILED_ON, filed_on=FILED_ON)
    check_debt_term(date(2025, 3, 2), date(2028, 3, 2), filed_on=FILED_ON)


def test_term_start_before_the_patent_law_took_effect_is_term_start_too_early() -> None:
    assert date(1985, 4, 1) == EARLIEST_TERM_START
    with pytest.raises(ValidationFailed) as exc:
        check_debt_term(date(1985, 3, 31), date(2030, 1, 1), filed_on=FILED_ON)
    assert refusal(exc) == (422, "term_start_too_early", "term_start")
    assert exc.value.extra["min"] == "1985-04-01"
    with pytest.raises(ValidationFailed) as exc:
        check_debt_term(date(1, 1, 1), date(9999, 12, 31), filed_on=FILED_ON)
    assert refusal(exc) == (422, "term_start_too_early", "term_start")
    check_debt_term(EARLIEST_TERM_START, date(2030, 1, 1), filed_on=FILED_ON)


def test_term_ending_before_it_starts_is_still_term_invalid_first() -> None:
    with pytest.raises(ValidationFailed) as exc:
        check_debt_term(date(1901, 1, 1), date(1900, 1, 1), filed_on=FILED_ON)
    assert exc.value.code == "term_invalid"


# --- filing: API, live pre-check, page -----------------------------------------------------------


def test_api_refuses_an_application_for_a_term_1900_to_1901_and_stores_nothing(
    bank_a_api: Any, right: Right, enterprise_a: Organisation
) -> None:
    data = body(right, enterprise_a, "1900-01-01", "1901-01-01")
    response = bank_a_api.post_json("/api/v1/pledges", data)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "term_ended"
    assert response.json()["field"] == "term_end"
    assert "早于申请日" in response.json()["detail"]
    english = bank_a_api.post_json("/api/v1/pledges", data, HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["detail"].startswith("The end of the debt term, 1901-01-01, is before")
    assert not Pledge.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="pledge.").exists()


def test_api_refuses_a_term_start_before_1985_04_01(
    bank_a_api: Any, right: Right, enterprise_a: Organisation, today: date
) -> None:
    end = (today + timedelta(days=365)).isoformat()
    response = bank_a_api.post_json("/api/v1/pledges", body(right, enterprise_a, "1900-01-01", end))
    assert response.status_code == 422, response.content
    assert (response.json()["code"], response.json()["field"]) == (
        "term_start_too_early",
        "term_start",
    )
    assert not Pledge.objects.exists()


def test_api_precheck_refuses_an_ended_term_like_filing_does(
    bank_a_api: Any, right: Right, enterprise_a: Organisation
) -> None:
    data = body(right, enterprise_a, "1900-01-01", "1901-01-01")
    response = bank_a_api.post_json("/api/v1/pledges/precheck", data)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "term_ended"


def test_page_refuses_an_ended_term_on_the_term_end_input(
    client_for: Callable[[User], Any], bank_a_user: User, patent: Right, enterprise_a: Organisation
) -> None:
    data = body(patent, enterprise_a, "1900-01-01", "1901-01-01") | {"rights": patent.number}
    response = client_for(bank_a_user).post("/pledges/new/", data)
    assert response.status_code == 422
    html = response.content.decode()
    on_term_end = html[html.index('id="id_term_end_error"') : html.index('id="id_term_end"')]
    assert "履行期限已届满的债务不能办理质押登记" in on_term_end
    assert not Pledge.objects.exists()


# --- correction and change -----------------------------------------------------------------------


def test_correction_to_an_ended_term_is_refused_and_changes_nothing(
    submit: Submit, right: Right, examiner: User, bank_a_user: User, today: date
) -> None:
    pledge, _ = submit([right])
    pledge_decide(actor=examiner, pledge=pledge, decision="correct", reason="请核对期限")
    with pytest.raises(ValidationFailed) as exc:
        pledge_resubmit(
            actor=bank_a_user,
            pledge=pledge,
            term_start=date(1900, 1, 1),
            term_end=date(1901, 1, 1),
        )
    assert refusal(exc) == (422, "term_ended", "term_end")
    pledge.refresh_from_db()
    assert pledge.state == "correction_requested"
    assert (pledge.term_start, pledge.term_end) == (today, today + timedelta(days=2 * 365))


def test_correction_resubmitted_after_the_term_has_ended_is_refused(
    submit: Submit, right: Right, examiner: User, bank_a_user: User, today: date
) -> None:
    pledge, _ = submit([right])
    pledge_decide(actor=examiner, pledge=pledge, decision="correct", reason="请补充担保范围")
    later = pledge.term_end + timedelta(days=1)
    with pytest.raises(ValidationFailed) as exc:
        pledge_resubmit(actor=bank_a_user, pledge=pledge, scope="主债权", today=later)
    assert refusal(exc) == (422, "term_ended", "term_end")
    pledge.refresh_from_db()
    assert pledge.state == "correction_requested" and pledge.scope == ""


def test_change_of_the_term_end_to_before_the_change_day_is_refused(
    submit: Submit,
    right: Right,
    examiner: User,
    bank_a_user: User,
    upload_contract: Callable[..., PledgeDocument],
    today: date,
) -> None:
    pledge, _ = submit([right], term_start=today - timedelta(days=30))
    upload_contract(pledge)
    registered = pledge_decide(actor=examiner, pledge=pledge, decision="approve")
    with pytest.raises(ValidationFailed) as exc:
        pledge_change(
            actor=bank_a_user,
            pledge=registered,
            reason="提前到期",
            term_end=today - timedelta(days=1),
        )
    assert refusal(exc) == (422, "term_ended", "term_end")
    assert not PledgeChange.objects.exists()
    # Ending on the change day itself is a change like any other.
    change = pledge_change(actor=bank_a_user, pledge=registered, reason="提前到期", term_end=today)
    assert change.after == {"term_end": today.isoformat()}
