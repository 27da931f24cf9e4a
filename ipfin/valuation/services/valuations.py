"""Writes of valuations: create (a draft), issue, and the client bank's recheck.

Each service checks the permission (`Perm.VALUATION_WRITE`), loads and locks the rows it changes,
asks the pure engine, saves, appends the audit record ("valuation.<action>", before and after) and
notifies the other party in-app. A refused action changes nothing.

States (Apache Fineract style: one service per transition):
    draft --issue (the maker)--> issued --recheck (the client bank)--> rechecked

Recheck (复核): the client bank values the report's rights with its internal model
(`engine.bank.internal_valuation`) and compares with the report. The model values each right
from a reference value; the reference value of a right is the report's value split over its
rights in proportion to each right's stored indicator score (`RightScore`, from
`ipfin score_portfolio`), or equally when any right of the package is unscored (or every score
is 0). The split is exact to the fen (largest remainder: the parts sum to the report's value).
The report is flagged when |external − internal| / internal exceeds the bank's threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ipfin.accounts.models import Organisation, OrganisationKind
from ipfin.accounts.permissions import Perm, require
from ipfin.accounts.services import clean_uscc, notify
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ipfin.common.money import FEN, MAX_AMOUNT, money_str, parse_money, to_fen
from ipfin.registry.domain import TERMINAL_STATUSES
from ipfin.registry.models import Right
from ipfin.registry.selectors import right_get, right_status
from ipfin.valuation.engine.bank import (
    CollateralRight,
    internal_valuation,
    internal_valuation_allowed,
    max_loan_amount,
    recheck,
)
from ipfin.valuation.models import (
    RightScore,
    Valuation,
    ValuationMethod,
    ValuationRight,
    ValuationState,
)
from ipfin.valuation.selectors import bank_model_of
from ipfin.valuation.services.approaches import compute, dec_str, parse_decimal

__all__ = [
    "MAX_RIGHTS_PER_VALUATION",
    "remaining_legal_years",
    "split_by_score",
    "valuation_create",
    "valuation_issue",
    "valuation_recheck",
]

MAX_RIGHTS_PER_VALUATION = 200
_DAYS_PER_YEAR = Decimal("365.25")


def _invalid(code: str, zh: str, en: str, **extra: Any) -> ValidationFailed:
    return ValidationFailed(zh, en, code=code, extra=extra or None)


def _today(today: date | None) -> date:
    return today if today is not None else timezone.localdate()


def _not_found() -> NotFound:
    return NotFound("未找到该评估报告。", "No such valuation.", code="valuation_not_found")


# --- rights --------------------------------------------------------------------------------------


def _resolve_rights(numbers: Sequence[str]) -> list[Right]:
    """The rights named (any accepted spelling), deduplicated, in the order given; an unknown
    number is a 422 naming it."""
    if not numbers:
        raise _invalid(
            "rights_required", "请至少选择一项知识产权。", "At least one right is required."
        )
    if len(numbers) > MAX_RIGHTS_PER_VALUATION:
        raise _invalid(
            "rights_too_many",
            f"一次评估最多包含 {MAX_RIGHTS_PER_VALUATION} 项知识产权。",
            f"A valuation may cover at most {MAX_RIGHTS_PER_VALUATION} rights.",
        )
    found: dict[int, Right] = {}
    for number in numbers:
        try:
            right = right_get(number=str(number))
        except NotFound as exc:
            raise ValidationFailed(
                exc.detail_zh, exc.detail_en, code="right_not_found", extra={"right": number}
            ) from exc
        found.setdefault(right.pk, right)
    return list(found.values())


def remaining_legal_years(right: Right, *, on: date) -> Decimal:
    """Years (to 0.01, rounded down) from `on` to the end of the right's legal term, by its legal
    status on that day (ipfin.registry.domain.legal_status); 0 once the right has ended (lapsed,
    expired, invalidated, surrendered)."""
    status = right_status(right, on=on)
    if status.status in TERMINAL_STATUSES:
        return Decimal(0)
    days = max((status.expiry_date - on).days, 0)
    return (Decimal(days) / _DAYS_PER_YEAR).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def split_by_score(total: Decimal, scores: Sequence[float | None]) -> list[Decimal]:
    """`total` split in proportion to `scores` (equally when one is None or all are 0), to the
    fen, the parts summing exactly to `total` (largest remainder, ties to the earlier right)."""
    n = len(scores)
    if n == 0:
        return []
    if any(s is None for s in scores) or sum(s or 0.0 for s in scores) <= 0:
        weights = [Decimal(1)] * n
    else:
        weights = [Decimal(repr(float(s or 0.0))) for s in scores]
    weight_sum = sum(weights, Decimal(0))
    fen_total = int((to_fen(total) / FEN).to_integral_value())
    exact = [Decimal(fen_total) * w / weight_sum for w in weights]
    floors = [int(x.to_integral_value(rounding=ROUND_DOWN)) for x in exact]
    left = fen_total - sum(floors)
    order = sorted(range(n), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Decimal(f) * FEN for f in floors]


def _stored_scores(rights: Sequence[Right]) -> dict[int, float]:
    return dict(
        RightScore.objects.filter(right_id__in=[r.pk for r in rights]).values_list(
            "right_id", "score"
        )
    )


# --- snapshots and notifications -----------------------------------------------------------------


def _snapshot(valuation: Valuation, numbers: Sequence[str] | None = None) -> dict[str, Any]:
    if numbers is None:
        numbers = [
            item.right.number
            for item in valuation.items.select_related("right").order_by("position", "id")
        ]
    return {
        "state": valuation.state,
        "method": valuation.method,
        "organisation_id": valuation.organisation_id,
        "client_bank_id": valuation.client_bank_id,
        "rights": list(numbers),
        "value": money_str(valuation.value),
        "valuation_date": valuation.valuation_date.isoformat(),
        "internal_value": (
            money_str(valuation.internal_value) if valuation.internal_value is not None else None
        ),
        "deviation": str(valuation.deviation) if valuation.deviation is not None else None,
        "flagged": valuation.flagged,
    }


def _lock(valuation: Valuation) -> Valuation:
    return Valuation.objects.select_for_update().get(pk=valuation.pk)


def _transition(valuation: Valuation, expected: ValuationState, action: str) -> None:
    if valuation.state != expected:
        raise Conflict(
            f"评估报告当前状态为“{valuation.get_state_display()}”，不能执行此操作。",
            f"The valuation is {valuation.state}: it cannot be {action}.",
            code="valuation_state_invalid",
            extra={"state": valuation.state, "action": action},
        )


# --- create --------------------------------------------------------------------------------------


def _client_bank(actor: Any, client_bank_uscc: str | None) -> Organisation | None:
    if not client_bank_uscc:
        return None
    code = clean_uscc(client_bank_uscc)
    bank = Organisation.objects.filter(uscc=code, kind=OrganisationKind.BANK).first()
    if bank is None:
        raise _invalid(
            "client_bank_unknown",
            f"统一社会信用代码为 {code} 的银行尚未在平台注册。",
            f"No bank with credit code {code} is registered on the platform.",
        )
    if bank.pk == actor.organisation_id:
        raise _invalid(
            "client_bank_self",
            "委托银行不能是评估机构本身。",
            "The client bank cannot be the valuer itself.",
        )
    return bank


def _bank_internal(
    actor: Any, rights: Sequence[Right], inputs: dict[str, Any]
) -> tuple[Decimal, dict[str, Any], dict[str, Any]]:
    """A bank's own valuation with its internal model (no external report): the reference value
    of each right is given in `inputs["reference_values"]` ({number: amount}); `loan_amount`
    (optional) must stay under the 10 million yuan limit of internal valuation; `product` picks
    the maximum pledge rate."""
    if actor.organisation.kind != OrganisationKind.BANK:
        raise PermissionDenied(
            "只有银行可以使用内部评估模型。",
            "Only a bank can value with its internal model.",
            code="forbidden",
        )
    raw = inputs.get("reference_values")
    if not isinstance(raw, dict):
        raise _invalid(
            "valuation_input",
            "请按权利号填写参考价值（reference_values）。",
            "reference_values must map each right's number to an amount.",
            field="reference_values",
        )
    model = bank_model_of(actor.organisation_id)
    scores = _stored_scores(rights)
    collateral = []
    by_number = {str(k).strip(): v for k, v in raw.items()}
    for right in rights:
        field = f"reference_values.{right.number}"
        if right.number not in by_number:
            raise _invalid(
                "valuation_input",
                f"缺少 {right.number} 的参考价值。",
                f"The reference value of {right.number} is missing.",
                field=field,
            )
        amount = parse_decimal(by_number[right.number], field)
        if amount < 0 or amount > MAX_AMOUNT:
            raise _invalid(
                "valuation_input",
                f"{right.number} 的参考价值应在 0 至 {MAX_AMOUNT:,} 元之间。",
                f"The reference value of {right.number} must be between 0 and {MAX_AMOUNT:,}.",
                field=field,
            )
        score = scores.get(right.pk)
        collateral.append(
            CollateralRight(
                number=right.number,
                kind=right.kind,
                reference_value=to_fen(amount),
                score=Decimal(repr(score)) if score is not None else None,
            )
        )
    product = str(inputs.get("product") or next(iter(model.max_pledge_rates)))
    loan_amount: Decimal | None = None
    if inputs.get("loan_amount") not in (None, ""):
        try:
            loan_amount = parse_money(inputs["loan_amount"])
        except (TypeError, ValueError):
            raise _invalid(
                "valuation_input",
                "贷款金额应为非负金额，最多两位小数。",
                "loan_amount must be a non-negative amount with at most two decimals.",
                field="loan_amount",
            ) from None
        if not internal_valuation_allowed(loan_amount):
            raise _invalid(
                "internal_valuation_not_allowed",
                "贷款金额 1000 万元及以上须有外部评估报告，不能只用银行内部评估。",
                "A loan of 10 million yuan or more needs an external valuation report.",
                field="loan_amount",
            )
    result = internal_valuation(collateral, model)
    echo = {
        "reference_values": {c.number: str(c.reference_value) for c in collateral},
        "product": product,
        "loan_amount": str(loan_amount) if loan_amount is not None else None,
    }
    details = {
        "lines": [_line(line) for line in result.lines],
        "product": product,
        "max_loan_amount": money_str(max_loan_amount(result.value, product, model)),
    }
    return result.value, echo, details


def _line(line: Any) -> dict[str, Any]:
    return {
        "number": line.number,
        "kind": line.kind,
        "reference_value": money_str(line.reference_value),
        "score_factor": dec_str(line.score_factor),
        "haircut": dec_str(line.haircut),
        "value": money_str(line.value),
    }


def valuation_create(
    *,
    actor: Any,
    rights: Sequence[str],
    method: str,
    inputs: dict[str, Any],
    client_bank_uscc: str | None = None,
    valuation_date: date | None = None,
    today: date | None = None,
) -> Valuation:
    """Value one right or a package (`rights`: numbers) with `method` and store a draft.

    income / cost / market: `inputs` as `valuation_preview` takes them (without `method`); for
    the income approach the economic life may not exceed the remaining legal term, which is the
    longest of the package's rights on the valuation date (the package earns while one of them
    is in force): a longer `life_years` is a 422. bank_internal: see `_bank_internal` (banks
    only). The client bank (optional) sees the report and is notified when it is issued.
    """
    require(actor, Perm.VALUATION_WRITE)
    if method not in ValuationMethod.values:
        raise _invalid(
            "valuation_input",
            "评估方法应为 income、cost、market 或 bank_internal。",
            "method must be income, cost, market or bank_internal.",
            field="method",
        )
    if not isinstance(inputs, dict):
        raise _invalid(
            "valuation_input", "评估参数应为对象。", "inputs must be an object.", field="inputs"
        )
    day = _today(today)
    base_date = valuation_date or day
    if base_date > day:
        raise _invalid(
            "valuation_date_invalid",
            "评估基准日不能晚于今日。",
            "The valuation date cannot be in the future.",
        )
    client = _client_bank(actor, client_bank_uscc)
    wanted = _resolve_rights(rights)
    if method == ValuationMethod.BANK_INTERNAL:
        value, echo, details = _bank_internal(actor, wanted, inputs)
    else:
        legal: Decimal | None = None
        if method == ValuationMethod.INCOME:
            legal = max(remaining_legal_years(r, on=base_date) for r in wanted)
        outcome = compute({**inputs, "method": method}, remaining_legal_years=legal)
        value, echo, details = outcome.value, outcome.inputs, outcome.details
    with transaction.atomic():
        valuation = Valuation.objects.create(
            organisation_id=actor.organisation_id,
            client_bank=client,
            created_by=actor,
            method=method,
            inputs=echo,
            result=details,
            value=value,
            state=ValuationState.DRAFT,
            valuation_date=base_date,
        )
        ValuationRight.objects.bulk_create(
            [
                ValuationRight(valuation=valuation, right=right, position=i)
                for i, right in enumerate(wanted)
            ]
        )
        audit_record(
            actor=actor,
            action="valuation.create",
            obj=valuation,
            before=None,
            after={**_snapshot(valuation, [r.number for r in wanted]), "inputs": echo},
        )
    return valuation


# --- issue ---------------------------------------------------------------------------------------


def valuation_issue(*, actor: Any, valuation: Valuation) -> Valuation:
    """The maker issues (出具) its draft: the client bank, if any, is notified."""
    require(actor, Perm.VALUATION_WRITE)
    if valuation.organisation_id != actor.organisation_id:
        raise _not_found()
    with transaction.atomic():
        locked = _lock(valuation)
        _transition(locked, ValuationState.DRAFT, "issued")
        before = _snapshot(locked)
        locked.state = ValuationState.ISSUED
        locked.issued_at = timezone.now()
        locked.issued_by = actor
        locked.save()
        audit_record(
            actor=actor,
            action="valuation.issue",
            obj=locked,
            before=before,
            after=_snapshot(locked, before["rights"]),
        )
        if locked.client_bank_id is not None:
            maker = actor.organisation.name
            amount = money_str(locked.value)
            notify(
                organisation_id=locked.client_bank_id,
                verb="valuation.issue",
                message_zh=f"{maker} 已出具评估报告 #{locked.pk}，评估值 {amount} 元。",
                message_en=f"{maker} issued valuation #{locked.pk}: {amount} yuan.",
                obj=locked,
            )
    return locked


# --- recheck -------------------------------------------------------------------------------------


def valuation_recheck(*, actor: Any, valuation: Valuation) -> Valuation:
    """The client bank rechecks (复核) an issued report against its internal model (see the
    module docstring); the maker is notified, with the flag."""
    require(actor, Perm.VALUATION_WRITE)
    org_id = actor.organisation_id
    if valuation.client_bank_id != org_id:
        if valuation.organisation_id == org_id:
            raise PermissionDenied(
                "只有委托银行可以复核评估报告。",
                "Only the client bank can recheck a valuation.",
                code="forbidden",
            )
        raise _not_found()
    with transaction.atomic():
        locked = _lock(valuation)
        _transition(locked, ValuationState.ISSUED, "rechecked")
        before = _snapshot(locked)
        items = list(locked.items.select_related("right").order_by("position", "id"))
        scores = _stored_scores([item.right for item in items])
        ordered_scores = [scores.get(item.right_id) for item in items]
        references = split_by_score(locked.value, ordered_scores)
        model = bank_model_of(org_id)
        internal = internal_valuation(
            [
                CollateralRight(
                    number=item.right.number,
                    kind=item.right.kind,
                    reference_value=reference,
                    score=Decimal(repr(score)) if score is not None else None,
                )
                for item, reference, score in zip(items, references, ordered_scores, strict=True)
            ],
            model,
        )
        outcome = recheck(locked.value, internal.value, model.recheck_threshold)
        for item, reference, line in zip(items, references, internal.lines, strict=True):
            item.reference_value = reference
            item.internal_value = line.value
        ValuationRight.objects.bulk_update(items, ["reference_value", "internal_value"])
        locked.state = ValuationState.RECHECKED
        locked.internal_value = outcome.internal_value
        locked.deviation = outcome.deviation.quantize(Decimal("0.000001"))
        locked.threshold = outcome.threshold
        locked.flagged = outcome.flagged
        locked.recheck = {
            "split": "score" if all(s is not None for s in ordered_scores) else "equal",
            "lines": [_line(line) for line in internal.lines],
            "deviation": dec_str(outcome.deviation),
            "threshold": dec_str(outcome.threshold),
        }
        locked.rechecked_at = timezone.now()
        locked.rechecked_by = actor
        locked.save()
        audit_record(
            actor=actor,
            action="valuation.recheck",
            obj=locked,
            before=before,
            after=_snapshot(locked, before["rights"]),
        )
        bank = actor.organisation.name
        pct = (outcome.deviation * 100).quantize(Decimal("0.1"))
        if outcome.flagged:
            zh = f"{bank} 复核评估报告 #{locked.pk}：偏离度 {pct}% 超过阈值，已标记。"
            en = (
                f"{bank} rechecked valuation #{locked.pk}: deviation {pct}% above the "
                "threshold (flagged)."
            )
        else:
            zh = f"{bank} 复核评估报告 #{locked.pk}：偏离度 {pct}%，在阈值以内。"
            en = f"{bank} rechecked valuation #{locked.pk}: deviation {pct}%, within the threshold."
        notify(
            organisation_id=locked.organisation_id,
            verb="valuation.recheck",
            message_zh=zh,
            message_en=en,
            obj=locked,
        )
    return locked
