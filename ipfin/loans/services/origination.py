"""Writes of loan origination: the schedule preview (nothing saved) and the application."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction

from ipfin.accounts.inputs import clean_uscc
from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.accounts.permissions import Perm, acting_organisation, has_perm, require
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.errors import NotFound, invalid
from ipfin.common.inputs import amount_in, date_in, decimal_in, int_in
from ipfin.common.money import money_str
from ipfin.financing.models import Demand, DemandState, ProductKind, ProductVersion
from ipfin.financing.selectors import demand_get, product_current_version, product_version_get
from ipfin.loans.domain.schedules import DayCount, Schedule, repayment_schedule
from ipfin.loans.domain.status import LoanAction
from ipfin.loans.models import Loan
from ipfin.loans.services._common import (
    transition,
)
from ipfin.loans.services._loan import _check_product_terms, _day_count, _label, _method, _snapshot
from ipfin.pledges.selectors import resolve_rights

__all__ = [
    "loan_apply",
    "schedule_preview",
]


def _required(data: Mapping[str, Any], key: str) -> Any:
    value = data.get(key)
    if value is None or value == "":
        raise invalid(key, "required", f"请填写 {key}。", f"{key} is required.")
    return value


def schedule_preview(*, data: Mapping[str, Any]) -> Schedule:
    """The schedule of a loan described by `data` (principal, annual_rate, months, method,
    start_date, day_count as sent by a form or a JSON body); nothing is saved. Every refusal is
    a 422 naming the field."""
    return repayment_schedule(
        principal=amount_in(_required(data, "principal"), "principal"),
        annual_rate=decimal_in(_required(data, "annual_rate"), "annual_rate"),
        months=int_in(_required(data, "months"), "months"),
        method=str(_required(data, "method")),
        start_date=date_in(_required(data, "start_date"), "start_date"),
        day_count=str(data.get("day_count") or DayCount.THIRTY_360.value),
    )


def _product_version(pk: int) -> ProductVersion:

    try:
        version = product_version_get(pk=pk)
    except NotFound as exc:
        raise invalid("product_version_id", exc.code, exc.detail_zh, exc.detail_en) from exc
    product = version.product
    if product.kind != ProductKind.LOAN or not product.is_active:
        raise invalid(
            "product_version_id",
            "product_not_available",
            "该产品不是在售的贷款产品。",
            "The product is not a loan product on sale.",
        )
    if product_current_version(product).pk != version.pk:
        raise invalid(
            "product_version_id",
            "product_version_outdated",
            "该产品条款已更新，请按最新版本申请。",
            "The product's terms have changed: apply on its current version.",
        )
    return version


def _enterprise(uscc: str) -> Organisation:
    code = clean_uscc(uscc)
    org = Organisation.objects.filter(uscc=code).first()
    if org is None or org.kind != OrganisationKind.ENTERPRISE:
        raise invalid(
            "enterprise_uscc",
            "enterprise_unknown",
            f"统一社会信用代码为 {code} 的企业尚未在平台注册。",
            f"No enterprise with credit code {code} is registered on the platform.",
        )
    return org


def _bank(bank_id: int | None) -> Organisation:
    bank = (
        Organisation.objects.filter(pk=bank_id, kind=OrganisationKind.BANK).first()
        if bank_id is not None
        else None
    )
    if bank is None:
        raise invalid(
            "bank_id",
            "bank_required",
            "请选择贷款产品或贷款银行。",
            "Choose a loan product or a bank.",
        )
    return bank


def _demand(actor: User, demand_id: int, enterprise: Organisation) -> Demand:

    try:
        demand = demand_get(actor=actor, pk=demand_id)
    except NotFound as exc:
        raise invalid("demand_id", exc.code, exc.detail_zh, exc.detail_en) from exc
    if demand.enterprise_id != enterprise.pk:
        raise invalid(
            "demand_id",
            "demand_other_enterprise",
            "该融资需求不属于此企业。",
            "The demand is another enterprise's.",
        )
    if demand.state != DemandState.OPEN:
        raise invalid(
            "demand_id",
            "demand_not_open",
            "该融资需求已不在对接中。",
            "The demand is no longer open.",
        )
    return demand


def loan_apply(
    *,
    actor: User,
    enterprise_uscc: str,
    product_version_id: int | None,
    amount: Decimal | str | int,
    months: int | str,
    method: str,
    day_count: str = DayCount.THIRTY_360.value,
    demand_id: int | None = None,
    rights: Sequence[str] = (),
    bank_id: int | None = None,
    purpose: str = "",
) -> Loan:
    """A loan application, from a matched demand (`demand_id`) or directly (see the module doc
    for who may apply). The product's ranges and methods are checked now; the bank sets the
    final terms at approval."""
    org_id = getattr(actor, "organisation_id", None)
    acting_bank = has_perm(actor, Perm.LOAN_MANAGE)
    if not acting_bank:
        require(actor, Perm.DEMAND_FILE)
    enterprise = _enterprise(enterprise_uscc)
    if not acting_bank and org_id not in (enterprise.pk, enterprise.park_id):
        raise invalid(
            "enterprise_uscc",
            "enterprise_not_yours",
            "只能为本企业（或本园区的企业）申请贷款。",
            "You may apply only for your own enterprise (or an enterprise of your park).",
        )
    value = amount_in(amount, "amount")
    term = int_in(months, "months")
    how = _method(method)
    basis = _day_count(day_count)
    version = _product_version(product_version_id) if product_version_id is not None else None
    if version is not None:
        bank = version.product.provider
        _check_product_terms(version, amount=value, months=term, method=how, amount_field="amount")
    elif acting_bank:
        bank = acting_organisation(actor)
    else:
        bank = _bank(bank_id)
    if acting_bank and bank.pk != org_id:
        raise invalid(
            "product_version_id",
            "product_not_yours",
            "银行只能以本行产品登记贷款申请。",
            "A bank records applications for its own products only.",
        )
    if not 1 <= term <= 360:
        raise invalid("months", "term_invalid", "期限应为1–360个月。", "months must be 1–360.")
    demand = _demand(actor, demand_id, enterprise) if demand_id is not None else None
    wanted = resolve_rights(list(rights)) if rights else []
    purpose = (purpose or "").strip() or (demand.purpose if demand is not None else "")
    with transaction.atomic():
        loan = Loan.objects.create(
            bank=bank,
            enterprise=enterprise,
            product_version=version,
            demand=demand,
            state=transition(None, LoanAction.APPLY),
            purpose=purpose[:2000],
            requested_amount=value,
            requested_months=term,
            method=how,
            day_count=basis,
            created_by=actor,
        )
        if wanted:
            loan.rights.set(wanted)
        elif demand is not None:
            loan.rights.set(demand.rights.all())
        audit_record(actor=actor, action="loan.apply", obj=loan, before=None, after=_snapshot(loan))
        label_zh, label_en = _label(loan)
        if acting_bank:
            notify_orgs(
                [enterprise.pk],
                loan,
                "loan.apply",
                f"{bank.name} 已登记您的{label_zh}申请，金额 {money_str(value)} 元，{term} 个月。",
                f"{bank.name} recorded your application for {label_en}: {money_str(value)} "
                f"yuan, {term} months.",
            )
        else:
            notify_orgs(
                [bank.pk],
                loan,
                "loan.apply",
                f"{enterprise.name} 申请{label_zh}，金额 {money_str(value)} 元，{term} 个月。",
                f"{enterprise.name} applied for {label_en}: {money_str(value)} yuan, "
                f"{term} months.",
            )
    return loan
