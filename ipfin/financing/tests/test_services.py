"""Services and selectors of the catalogue, the demand library and the feedback ledger, on the real
database: exact results, the audit trail, notifications, and nothing changed by a refused action."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from ipfin.accounts.models import Notification, Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ipfin.financing import presentation, selectors, services
from ipfin.financing.models import (
    Demand,
    DemandResponse,
    LprQuote,
    Policy,
    Product,
    ProductVersion,
)
from ipfin.holidays.selectors import working_calendar
from ipfin.registry.models import Right
from ipfin.registry.services import right_event_record
from ipfin.valuation.models import EnterpriseCreditProfile

pytestmark = pytest.mark.django_db
D = Decimal


# --- LPR -----------------------------------------------------------------------------------------


def test_lpr_seeded_fixings() -> None:
    # 贷款市场报价利率公告: 2024-10-21 1y 3.10 % / 5y 3.60 %; 2025-05-20 1y 3.00 % / 5y 3.50 %.
    assert selectors.lpr_rate(tenor="1y", on=date(2024, 10, 21)) == D("0.031")
    assert selectors.lpr_rate(tenor="5y", on=date(2025, 5, 19)) == D("0.036")
    assert selectors.lpr_rate(tenor="1y", on=date(2025, 5, 20)) == D("0.03")
    assert selectors.lpr_rate(tenor="5y", on=date(2026, 1, 1)) == D("0.035")
    assert selectors.lpr_rate(tenor="1y", on=date(2024, 9, 1)) == D("0.0335")


def test_lpr_before_first_fixing_and_bad_tenor() -> None:
    with pytest.raises(ValidationFailed) as exc:
        selectors.lpr_rate(tenor="1y", on=date(2020, 1, 1))
    assert exc.value.code == "lpr_unavailable"
    with pytest.raises(ValidationFailed):
        selectors.lpr_rate(tenor="3y", on=date(2025, 6, 1))


def test_lpr_latest_quote_wins() -> None:
    LprQuote.objects.create(date=date(2025, 9, 22), tenor="1y", rate=D("0.029"))
    assert selectors.lpr_rate(tenor="1y", on=date(2025, 9, 21)) == D("0.03")
    assert selectors.lpr_rate(tenor="1y", on=date(2025, 9, 22)) == D("0.029")


# --- catalogue -----------------------------------------------------------------------------------


def test_publish_creates_version_one_and_audits(
    bank_a_user: User, publish: Callable[..., ProductVersion]
) -> None:
    v = publish(bank_a_user, "A-LOAN", name="知识产权质押贷")
    assert v.version == 1
    assert v.product.name == "知识产权质押贷" and v.product.kind == "loan"
    assert v.amount_max == D("5000000.00") and v.rate_spread_bp == 50
    assert v.max_pledge_rate == D("0.5") and v.published_by == bank_a_user
    record = AuditRecord.objects.get(action="product.publish")
    assert record.actor == bank_a_user and record.object_id == str(v.product_id)
    assert record.after["version"] == 1 and record.after["amount_max"] == "5000000.00"


def test_new_version_leaves_the_old_intact(
    bank_a_user: User, publish: Callable[..., ProductVersion]
) -> None:
    v1 = publish(bank_a_user, "A-LOAN")
    before = {f.name: getattr(v1, f.name) for f in ProductVersion._meta.fields}
    v2 = publish(bank_a_user, "A-LOAN", rate_spread_bp=80, amount_max="8000000", name="新名称")
    assert (v2.version, v2.product_id) == (2, v1.product_id)
    fresh = ProductVersion.objects.get(pk=v1.pk)
    assert {f.name: getattr(fresh, f.name) for f in ProductVersion._meta.fields} == before
    assert selectors.product_current_version(v1.product) == v2
    assert selectors.product_version_get(pk=v1.pk).rate_spread_bp == 50
    assert Product.objects.get(pk=v1.product_id).name == "新名称"
    # A version can never be saved again.
    with pytest.raises(ValueError):
        fresh.save()


def test_publish_refusals_change_nothing(
    bank_a_user: User,
    enterprise_a_user: User,
    insurer_user: User,
    publish: Callable[..., ProductVersion],
) -> None:
    with pytest.raises(PermissionDenied):
        publish(enterprise_a_user, "E-LOAN")
    with pytest.raises(ValidationFailed) as exc:
        publish(insurer_user, "I-LOAN")  # an insurer publishes insurance, not loans
    assert exc.value.code == "kind_not_for_provider"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"amount_min": "9000000"}, "amount_min"),
        ({"term_min_months": 40}, "term_min_months"),
        ({"max_pledge_rate": "1.5"}, "max_pledge_rate"),
        ({"accepted_right_kinds": ["spaceship"]}, "accepted_right_kinds"),
        ({"repayment_methods": ["balloon"]}, "repayment_methods"),
        ({"lpr_tenor": ""}, "rate_spread_bp"),
        ({"park_ids": [999_999]}, "park_ids"),
        ({"amount_max": "1.234"}, "amount_max"),
        ({"colour": "red"}, "colour"),
    ]
    for terms, field in cases:
        with pytest.raises(ValidationFailed) as exc:
            publish(bank_a_user, "A-LOAN", **terms)
        assert exc.value.extra["field"] == field, terms
    assert not Product.objects.exists() and not ProductVersion.objects.exists()
    assert not AuditRecord.objects.filter(action="product.publish").exists()


def test_kind_cannot_change_and_insurer_publishes_insurance(
    insurer_user: User, publish: Callable[..., ProductVersion]
) -> None:
    v = publish(insurer_user, "INS-1", kind="insurance", coverage_ratio="0.8")
    assert v.premium_rate == D("0.01") and v.coverage_ratio == D("0.8")
    with pytest.raises(ValidationFailed) as exc:
        publish(insurer_user, "INS-2", kind="insurance", premium_rate=None)
    assert exc.value.code == "premium_required"
    assert v.insurance_kind == "pledge_guarantee"


@pytest.mark.parametrize("kind", ["", "life", "loan"])
def test_an_insurance_product_names_one_of_the_seven_kinds_issue16_seed004_8(
    insurer_user: User, publish: Callable[..., ProductVersion], kind: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        publish(insurer_user, "INS-3", kind="insurance", insurance_kind=kind)
    assert (exc.value.code, exc.value.extra["field"]) == (
        "insurance_kind_required",
        "insurance_kind",
    )
    enforcement = publish(insurer_user, "INS-4", kind="insurance", insurance_kind="enforcement")
    assert enforcement.get_insurance_kind_display() == "知识产权执行保险"


def test_withdraw_and_republish(
    bank_a_user: User, bank_b_user: User, bank_a_loan: ProductVersion
) -> None:
    product = bank_a_loan.product
    with pytest.raises(NotFound):
        services.product_withdraw(actor=bank_b_user, product=product)
    assert Product.objects.get(pk=product.pk).is_active
    services.product_withdraw(actor=bank_a_user, product=product)
    assert not Product.objects.get(pk=product.pk).is_active
    assert selectors.product_list() == []
    assert [p.pk for p in selectors.product_list(actor=bank_a_user, include_withdrawn=True)] == [
        product.pk
    ]
    with pytest.raises(Conflict):
        services.product_withdraw(actor=bank_a_user, product=product)
    services.product_publish(
        actor=bank_a_user,
        code="A-LOAN",
        kind="loan",
        name="again",
        terms={"lpr_tenor": "1y", "rate_spread_bp": 0},
    )
    assert Product.objects.get(pk=product.pk).is_active


def test_product_list_filters(
    bank_a_user: User,
    bank_b_user: User,
    insurer_user: User,
    park: Organisation,
    publish: Callable[..., ProductVersion],
) -> None:
    a = publish(bank_a_user, "A", regions=["江苏省"], industries=["C39"]).product_id
    b = publish(
        bank_b_user,
        "B",
        amount_min="2000000",
        accepted_right_kinds=["trademark"],
        park_ids=[park.pk],
        description="科创专享",
    ).product_id
    i = publish(insurer_user, "I", kind="insurance").product_id

    def ids(**kw: Any) -> set[int]:
        return {p.pk for p in selectors.product_list(**kw)}

    assert ids() == {a, b, i}
    assert ids(kind="loan") == {a, b}
    assert ids(provider=bank_b_user.organisation_id) == {b}
    assert ids(right_kind="invention") == {a, i}  # insurance accepts every kind (no list)
    assert ids(kind="loan", amount="1000000") == {a}
    assert ids(kind="loan", term=48) == set()
    assert ids(kind="loan", region="江苏省南京市") == {a, b}
    assert ids(kind="loan", region="浙江省") == {b}
    assert ids(kind="loan", park=park.pk + 1) == {a}
    assert ids(kind="loan", industry="I65") == {b}
    assert ids(text="科创") == {b}
    with pytest.raises(ValidationFailed):
        selectors.product_list(kind="bond")
    with pytest.raises(ValidationFailed):
        selectors.product_list(amount="-5")


def test_compare(bank_a_loan: ProductVersion, bank_b_loan: ProductVersion) -> None:
    ids = [bank_b_loan.product_id, bank_a_loan.product_id]
    products = selectors.product_compare(ids=ids)
    assert [p.pk for p in products] == ids
    rows = {r["key"]: r["values"] for r in presentation.compare_rows(products, on=date(2025, 6, 1))}
    # 1y LPR 3.00 % on 2025-06-01: + 150 bp = 4.50 %, + 50 bp = 3.50 %.
    assert rows["rate"] == ["1年期LPR + 150bp = 4.50%", "1年期LPR + 50bp = 3.50%"]
    assert rows["max_pledge_rate"] == ["50.00%", "50.00%"]
    with pytest.raises(ValidationFailed):
        selectors.product_compare(ids=[bank_a_loan.product_id])
    with pytest.raises(NotFound):
        selectors.product_compare(ids=[bank_a_loan.product_id, 999_999])


def test_policy_publish_and_list(office_user: User, park_user: User, bank_a_user: User) -> None:
    policy = services.policy_publish(
        actor=office_user,
        kind="subsidy",
        title="知识产权质押贷款贴息",
        subsidy_share="0.5",
        cap_per_enterprise="100000",
        annual_budget="5000000",
        year=2026,
        conditions={"sizes": ["micro", "small", "medium"]},
    )
    assert policy.subsidy_share == D("0.5") and policy.cap_per_enterprise == D("100000.00")
    assert AuditRecord.objects.filter(action="policy.publish", object_id=str(policy.pk)).exists()
    services.policy_publish(actor=park_user, kind="other", title="园区融资服务")
    assert {p.title for p in selectors.policy_list()} == {"知识产权质押贷款贴息", "园区融资服务"}
    assert [p.title for p in selectors.policy_list(kind="subsidy")] == ["知识产权质押贷款贴息"]
    with pytest.raises(PermissionDenied):
        services.policy_publish(actor=bank_a_user, kind="other", title="x")
    with pytest.raises(ValidationFailed) as exc:
        services.policy_publish(
            actor=office_user, kind="subsidy", title="缺预算", subsidy_share="0.5"
        )
    assert exc.value.code == "subsidy_terms_required"
    assert Policy.objects.count() == 2
    with pytest.raises(NotFound):
        services.policy_withdraw(actor=park_user, policy=policy)
    services.policy_withdraw(actor=office_user, policy=policy)
    assert [p.title for p in selectors.policy_list()] == ["园区融资服务"]


# --- demand library ------------------------------------------------------------------------------


def test_enterprise_files_for_itself(
    file_demand: Callable[..., Demand], enterprise_a_user: User, right: Right
) -> None:
    demand = file_demand()
    assert demand.amount == D("1000000.00") and demand.term_months == 12
    assert demand.filed_by_org_id == demand.enterprise_id == enterprise_a_user.organisation_id
    assert [r.pk for r in demand.rights.all()] == [right.pk]
    record = AuditRecord.objects.get(action="demand.file")
    assert record.after["rights"] == [right.number] and record.after["amount"] == "1000000.00"


def test_park_files_for_member_and_enterprise_is_told(
    file_demand: Callable[..., Demand], park_user: User, enterprise_a: Organisation
) -> None:
    demand = file_demand(actor=park_user)
    assert (
        demand.enterprise_id == enterprise_a.pk
        and demand.filed_by_org_id == park_user.organisation_id
    )
    note = Notification.objects.get(organisation=enterprise_a, verb="demand.file")
    assert "高新区园区" in note.message_zh


def test_filing_refusals_change_nothing(
    file_demand: Callable[..., Demand],
    enterprise_b_user: User,
    enterprise_b: Organisation,
    park_user: User,
    bank_a_user: User,
    make_right: Callable[..., Right],
    examiner: User,
    today: date,
) -> None:
    with pytest.raises(PermissionDenied):
        file_demand(actor=bank_a_user)
    with pytest.raises(PermissionDenied):
        file_demand(actor=enterprise_b_user)  # for another enterprise
    with pytest.raises(PermissionDenied):
        file_demand(actor=park_user, enterprise_uscc=enterprise_b.uscc)  # not a member
    other = make_right(owners=[enterprise_b])
    with pytest.raises(ValidationFailed) as exc:
        file_demand(rights=[other.number])
    assert exc.value.code == "right_not_owned" and exc.value.extra["right"] == other.number
    lapsed = make_right()
    right_event_record(
        actor=examiner, right=lapsed, type="surrender", date=today - timedelta(days=1)
    )
    with pytest.raises(ValidationFailed) as exc:
        file_demand(rights=[lapsed.number])
    assert exc.value.code == "right_not_in_force"
    for bad in [{"amount": "0"}, {"amount": "1.001"}, {"term_months": 0}, {"purpose": " "}]:
        with pytest.raises(ValidationFailed):
            file_demand(**bad)
    assert not Demand.objects.exists()
    assert not AuditRecord.objects.filter(action="demand.file").exists()


def test_demand_list_is_tenant_scoped(
    file_demand: Callable[..., Demand],
    enterprise_a_user: User,
    enterprise_b_user: User,
    park_user: User,
    bank_a_user: User,
    bank_b_user: User,
    office_user: User,
    regulator_user: User,
    bank_a_loan: ProductVersion,
    open_case: Callable[[Organisation], Any],
) -> None:
    demand = file_demand()
    services.demand_push(actor=enterprise_a_user, demand=demand)

    def visible(user: User) -> list[int]:
        return [d.pk for d in selectors.demand_list(actor=user)]

    assert visible(enterprise_a_user) == [demand.pk]
    assert visible(park_user) == [demand.pk]
    assert visible(bank_a_user) == [demand.pk]  # pushed to it
    assert visible(office_user) == [demand.pk]
    assert visible(regulator_user) == []  # aggregates only, until a case opens
    open_case(enterprise_a_user.organisation)
    assert visible(regulator_user) == [demand.pk]
    assert visible(enterprise_b_user) == []
    assert visible(bank_b_user) == []
    with pytest.raises(NotFound):
        selectors.demand_get(actor=bank_b_user, pk=demand.pk)


def test_withdraw_and_mark_financed(
    file_demand: Callable[..., Demand],
    enterprise_a_user: User,
    enterprise_b_user: User,
    bank_a_loan: ProductVersion,
) -> None:
    demand = file_demand()
    with pytest.raises(NotFound):
        services.demand_withdraw(actor=enterprise_b_user, demand=demand)
    assert Demand.objects.get(pk=demand.pk).state == "open"
    financed = services.demand_mark_financed(demand=demand, loan_id=42)
    assert (financed.state, financed.financed_loan_id) == ("financed", 42)
    assert financed.closed_at is not None
    assert services.demand_mark_financed(demand=demand, loan_id=42).state == "financed"
    with pytest.raises(Conflict):
        services.demand_mark_financed(demand=demand, loan_id=43)
    with pytest.raises(Conflict):
        services.demand_withdraw(actor=enterprise_a_user, demand=demand)
    other = file_demand()
    services.demand_push(actor=enterprise_a_user, demand=other)
    services.demand_withdraw(actor=enterprise_a_user, demand=other)
    assert Demand.objects.get(pk=other.pk).state == "withdrawn"
    assert Notification.objects.filter(
        verb="demand.withdraw", organisation_id=bank_a_loan.product.provider_id
    ).exists()
    with pytest.raises(Conflict):
        services.demand_mark_financed(demand=other, loan_id=44)


# --- matching over the database ------------------------------------------------------------------


def test_matches_use_valuation_credit_and_lpr(
    file_demand: Callable[..., Demand],
    enterprise_a_user: User,
    enterprise_a: Organisation,
    right: Right,
    bank_a_loan: ProductVersion,
    bank_b_loan: ProductVersion,
    insurer_user: User,
    publish: Callable[..., ProductVersion],
    valuation_of: Callable[..., Any],
) -> None:
    publish(insurer_user, "INS", kind="insurance")
    demand = file_demand()
    day = date(2025, 6, 2)  # 1y LPR 3.00 %
    report = selectors.demand_matches(actor=enterprise_a_user, demand=demand, on=day)
    assert report.valuation.value is None and report.credit.total is None
    assert [m.product.product_id for m in report.eligible] == [
        bank_a_loan.product_id,
        bank_b_loan.product_id,
    ]
    (insurance,) = report.ineligible
    assert [r.rule for r in insurance.failures] == ["product_kind_loan"]
    # bank_a: coverage neutral 15; rate 3.50 %: (6 % − 3.5 %) / 3 % × 30 = 25.00; term 12 in 6–36:
    # 20 × (1 − 9/30) = 14.00; no credit profile: neutral 10 → 64.00.
    assert report.eligible[0].score == D("64.00")
    # bank_b: rate 4.50 %: (6 % − 4.5 %) / 3 % × 30 = 15.00 → 54.00.
    assert report.eligible[1].score == D("54.00")

    # 1,000,000 cost → 880,000 value; × 0.5 = 440,000 < 1,000,000: not covered any more.
    valuation_of([right], "1000000")
    EnterpriseCreditProfile.objects.create(organisation=enterprise_a, high_tech=True)
    report = selectors.demand_matches(actor=enterprise_a_user, demand=demand, on=day)
    assert report.valuation.value == D("880000.00") and report.credit.total is not None
    assert report.eligible == []
    coverage = next(r for r in report.matches[0].rules if r.rule == "valuation_coverage")
    assert not coverage.passed and "440,000.00" in coverage.message_zh


def test_a_flagged_report_gives_no_valuation_coverage(
    file_demand: Callable[..., Demand],
    enterprise_a_user: User,
    right: Right,
    bank_a_loan: ProductVersion,
    valuation_of: Callable[..., Any],
) -> None:
    from ipfin.valuation.models import Valuation

    demand = file_demand()
    day = date(2025, 6, 2)
    fair = valuation_of([right], "1000000")  # 880,000.00
    inflated = valuation_of([right], "5000000")  # 4,400,000.00, the newer report
    report = selectors.demand_matches(actor=enterprise_a_user, demand=demand, on=day)
    assert report.valuation.value == D("4400000.00")
    # A bank's recheck flags the inflated report: coverage falls back to the fair one.
    Valuation.objects.filter(pk=inflated.pk).update(flagged=True)
    report = selectors.demand_matches(actor=enterprise_a_user, demand=demand, on=day)
    assert report.valuation.value == D("880000.00")
    assert report.valuation.valuation_ids == (fair.pk,)


def test_push_creates_rows_per_bank_with_deadline(
    file_demand: Callable[..., Demand],
    enterprise_a_user: User,
    bank_a_user: User,
    bank_b_user: User,
    bank_a_loan: ProductVersion,
    bank_b_loan: ProductVersion,
    publish: Callable[..., ProductVersion],
    settings: Any,
) -> None:
    publish(bank_a_user, "A-2", rate_spread_bp=300)  # a second, dearer product of bank_a
    demand = file_demand()
    settings.IPFIN_LEDGER_RESPONSE_DAYS = 3
    day = date(2025, 9, 30)  # before the National Day holiday: 10-01..10-08 off, 10-11 (Sat) worked
    rows = services.demand_push(actor=enterprise_a_user, demand=demand, today=day)
    assert sorted(r.bank_id for r in rows) == sorted(
        [bank_a_user.organisation_id, bank_b_user.organisation_id]
    )
    row_a = next(r for r in rows if r.bank_id == bank_a_user.organisation_id)
    assert row_a.product_version_id == bank_a_loan.pk  # the bank's best product
    assert all(r.due_date == working_calendar().add_working_days(day, 3) for r in rows)
    assert rows[0].due_date > date(2025, 10, 8)  # the holiday does not count
    assert Notification.objects.filter(verb="demand.push").count() == 2
    assert AuditRecord.objects.filter(action="demand.push").count() == 1
    # Pushing again adds no row for a bank already asked.
    with pytest.raises(PermissionDenied):
        services.demand_push(actor=bank_a_user, demand=demand)  # a bank cannot push
    assert services.demand_push(actor=enterprise_a_user, demand=demand, today=day) == []
    assert DemandResponse.objects.count() == 2


def test_push_without_eligible_bank_refused(
    file_demand: Callable[..., Demand],
    enterprise_a_user: User,
    bank_a_user: User,
    publish: Callable[..., ProductVersion],
) -> None:
    publish(bank_a_user, "SMALL", amount_max="500000")
    demand = file_demand()
    with pytest.raises(ValidationFailed) as exc:
        services.demand_push(actor=enterprise_a_user, demand=demand)
    assert exc.value.code == "no_eligible_product"
    assert not DemandResponse.objects.exists()


def test_default_response_days(
    file_demand: Callable[..., Demand], enterprise_a_user: User, bank_a_loan: ProductVersion
) -> None:
    (row,) = services.demand_push(
        actor=enterprise_a_user, demand=file_demand(), today=date(2025, 6, 3)
    )
    # 2025-06-03 (Tue) + 5 working days = 2025-06-10 (Tue); no holiday in between.
    assert row.due_date == date(2025, 6, 10)


def test_respond(
    file_demand: Callable[..., Demand],
    enterprise_a_user: User,
    enterprise_a: Organisation,
    bank_a_user: User,
    bank_b_user: User,
    bank_a_loan: ProductVersion,
) -> None:
    demand = file_demand()
    (row,) = services.demand_push(actor=enterprise_a_user, demand=demand)
    with pytest.raises(NotFound):
        services.demand_respond(actor=bank_b_user, response_id=row.pk, response="interested")
    with pytest.raises(PermissionDenied):
        services.demand_respond(actor=enterprise_a_user, response_id=row.pk, response="interested")
    with pytest.raises(ValidationFailed):
        services.demand_respond(actor=bank_a_user, response_id=row.pk, response="declined")
    fresh = DemandResponse.objects.get(pk=row.pk)
    assert fresh.response == "" and fresh.answered_at is None
    assert not AuditRecord.objects.filter(action="ledger.respond").exists()

    services.demand_respond(
        actor=bank_a_user, response_id=row.pk, response="declined", reason="评估值不足"
    )
    fresh = DemandResponse.objects.get(pk=row.pk)
    assert (fresh.response, fresh.reason, fresh.answered_by) == (
        "declined",
        "评估值不足",
        bank_a_user,
    )
    note = Notification.objects.get(organisation=enterprise_a, verb="ledger.respond")
    assert "不予受理" in note.message_zh and "评估值不足" in note.message_zh
    record = AuditRecord.objects.get(action="ledger.respond")
    assert record.before == {"response": "", "reason": ""}
    assert record.after["response"] == "declined"


def test_ledger_list_scoped_with_overdue_flag_and_reminders(
    file_demand: Callable[..., Demand],
    enterprise_a_user: User,
    enterprise_b_user: User,
    park_user: User,
    bank_a_user: User,
    bank_b_user: User,
    office_user: User,
    bank_a_loan: ProductVersion,
    bank_b_loan: ProductVersion,
) -> None:
    day = date(2025, 6, 3)
    rows = services.demand_push(actor=enterprise_a_user, demand=file_demand(), today=day)
    row_a = next(r for r in rows if r.bank_id == bank_a_user.organisation_id)
    services.demand_respond(actor=bank_a_user, response_id=row_a.pk, response="interested")

    def seen(user: User, on: date) -> dict[int, bool]:
        return {r.bank_id: r.overdue for r in selectors.ledger_list(actor=user, today=on)}

    later = date(2025, 6, 11)  # the day after the deadline of 2025-06-10
    assert seen(bank_a_user, later) == {bank_a_user.organisation_id: False}  # answered
    assert seen(bank_b_user, later) == {bank_b_user.organisation_id: True}
    assert seen(bank_b_user, date(2025, 6, 10)) == {bank_b_user.organisation_id: False}
    assert len(seen(enterprise_a_user, later)) == 2
    assert len(seen(park_user, later)) == 2
    assert len(seen(office_user, later)) == 2
    assert seen(enterprise_b_user, later) == {}

    assert services.ledger_remind(today=date(2025, 6, 10)) == 0
    assert services.ledger_remind(today=later) == 1
    assert services.ledger_remind(today=later) == 0  # once a day
    row_b = DemandResponse.objects.get(bank=bank_b_user.organisation)
    assert row_b.reminder_count == 1 and row_b.last_reminded_at is not None
    assert (
        Notification.objects.filter(
            verb="ledger.remind", organisation=bank_b_user.organisation
        ).count()
        == 1
    )
    out = StringIO()
    call_command("remind_ledger", "--today", "2025-06-12", stdout=out)
    assert out.getvalue().strip() == "reminders sent: 1"
    assert DemandResponse.objects.get(pk=row_b.pk).reminder_count == 2


def test_reminders_stop_when_the_demand_closes(
    file_demand: Callable[..., Demand], enterprise_a_user: User, bank_a_loan: ProductVersion
) -> None:
    demand = file_demand()
    services.demand_push(actor=enterprise_a_user, demand=demand, today=date(2025, 6, 3))
    services.demand_withdraw(actor=enterprise_a_user, demand=demand)
    assert services.ledger_remind(today=timezone.localdate() + timedelta(days=60)) == 0


def test_the_background_reminders_run_in_chunks_of_rows_each_reminded_once_a_day(
    file_demand: Callable[..., Demand],
    enterprise_a_user: User,
    bank_a_loan: ProductVersion,
    bank_b_loan: ProductVersion,
    settings: Any,
) -> None:
    from ipfin.jobs.models import JobRun, JobState

    for _ in range(3):
        services.demand_push(actor=enterprise_a_user, demand=file_demand(), today=date(2025, 6, 3))
    due = DemandResponse.objects.filter(response="").count()
    assert due >= 6  # two banks a demand
    settings.IPFIN_JOBS_CHUNK_SIZE = 2
    call_command(  # the day before anything is due: no chunk, and the run says none was sent
        "remind_ledger", "--today", "2025-06-10", "--async", "--wait", "60", stdout=StringIO()
    )
    quiet = JobRun.objects.get(name="remind_ledger")
    assert (quiet.state, quiet.chunks_total, quiet.result) == (
        JobState.DONE, 0, {"reminders_sent": 0},
    )  # fmt: skip
    for expected in (due, 0):  # the same day again: nothing more (each chunk idempotent)
        call_command(
            "remind_ledger", "--today", "2025-06-11", "--async", "--wait", "60", stdout=StringIO()
        )
        run = JobRun.objects.filter(name="remind_ledger").order_by("-pk")[0]
        assert run.state == JobState.DONE, run.error
        assert run.result is not None and run.result["reminders_sent"] == expected
        assert run.chunks_total == -(-due // 2)  # the same rows, found already reminded
    assert set(DemandResponse.objects.values_list("reminder_count", flat=True)) == {1}


def test_a_rate_with_more_decimals_than_its_column_is_refused_not_rounded(
    bank_a_user: User, office_user: User, publish: Callable[..., ProductVersion]
) -> None:
    """A pledge rate, a coverage ratio and a subsidy share are stored to four decimals: a fifth
    is refused, naming the term, where the database had rounded 0.55555 to 0.5556 (looser than
    the bank's own term) while the audit record kept 0.55555."""
    for field, value in (("max_pledge_rate", "0.55555"), ("coverage_ratio", "0.12345")):
        with pytest.raises(ValidationFailed) as refused:
            publish(bank_a_user, f"ODD-{field}", **{field: value})
        assert refused.value.extra["field"] == field
    assert publish(bank_a_user, "FOUR", max_pledge_rate="0.5556").max_pledge_rate == Decimal(
        "0.5556"
    )
    with pytest.raises(ValidationFailed) as refused:
        services.policy_publish(
            actor=office_user, kind="subsidy", title="贴息", subsidy_share="0.123456",
            annual_budget="1000000", year=2025,
        )  # fmt: skip
    assert refused.value.extra["field"] == "subsidy_share"
