"""Writes of valuations: create (a draft), issue, and the client bank's recheck.

Each service checks the permission (`Perm.VALUATION_WRITE`), loads and locks the rows it changes,
asks the pure engine, saves, appends the audit record ("valuation.<action>", before and after) and
notifies the other party in-app. A refused action changes nothing.

States (Apache Fineract style: one service per transition):
    draft --issue (the maker)--> issued --recheck (the client bank)--> rechecked

Only a valuation agency names another organisation's bank as client bank; a bank names only
itself (`_client_bank`). An agency's report backs the client bank's loan only once rechecked and
not flagged (`ipfin.valuation.selectors.loan_backing_refusal`).

Recheck (评估复核, issue 4: "a recheck flags an external report whose value deviates from the
internal one by more than the bank's threshold"). The figure the report is held against must be
the bank's own, independent of the report: a figure derived from the report's value (say, the
report split over its rights and cut by the bank's haircuts) deviates from it only by the haircut
and the score, so a fair report and an inflated one would look alike, and nearly every report
would be flagged. So:

- the bank's value of each right of the report (its reference value, 参考价值) is what the bank's
  internal model takes as input, the same figure as `inputs["reference_values"][number]` of a
  `bank_internal` valuation: given with the recheck (`reference_values`, basis "given"), or else
  taken from the bank's own most recent `bank_internal` valuation covering that right (basis
  "bank_internal #<id>"). A right with no bank figure is a 422 `recheck_needs_bank_value`
  naming it, and nothing changes;
- like is compared with like, market value with market value: deviation = |external − B| / B with
  B = Σ the bank's reference values (`engine.bank.recheck`, internal = B); the report is flagged
  when the deviation exceeds the bank model's threshold. B = 0 is a 422 (no deviation to measure);
- for information only, the bank's collateral value (押品价值: `engine.bank.internal_valuation`,
  haircut by right kind and score factor on each reference value) and the loan it supports
  (`max_loan_amount`, the model's first product) are stored in `Valuation.recheck`, with the
  basis, the threshold, the deviation and one line per right: the bank's reference value, the
  report's share of its value (`external_share`: the report's single figure apportioned over the
  package by stored indicator score, equally when a right is unscored — a reading aid, since a
  report values the package as a whole; nothing is decided on it), and the collateral value.

Stored: `Valuation.internal_value` = B (the figure compared), `ValuationRight.reference_value` =
the bank's value of the right, `ValuationRight.internal_value` = its collateral value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ipfin.accounts.inputs import clean_uscc
from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.accounts.permissions import Perm, acting_organisation, require
from ipfin.accounts.services import notify
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, invalid
from ipfin.common.inputs import amount_in, optional_amount_in
from ipfin.common.money import FEN, MAX_AMOUNT, largest_remainder, money_str, to_fen
from ipfin.registry.models import Right, RightOwner
from ipfin.registry.selectors import (
    number_candidates,
    rights_named,
)
from ipfin.valuation.domain.bank import (
    SMALL_LOAN_LIMIT,
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
from ipfin.valuation.services.approaches import dec_str, parse_decimal
from ipfin.valuation.services.assessment import (
    assess,
    check_valuation_date,
    remaining_legal_years,
)

__all__ = [
    "APPRAISER_NAME_MAX",
    "MAX_RIGHTS_PER_VALUATION",
    "bank_reference_values",
    "internal_valuation_refused",
    "remaining_legal_years",
    "resolve_rights",
    "split_by_score",
    "valuation_create",
    "valuation_issue",
    "valuation_recheck",
]

MAX_RIGHTS_PER_VALUATION = 200


def _today(today: date | None) -> date:
    return today if today is not None else timezone.localdate()


def _not_found() -> NotFound:
    return NotFound("未找到该评估报告。", "No such valuation.", code="valuation_not_found")


def internal_valuation_refused(loan_amount: Decimal, *, field: str) -> ValidationFailed:
    """The 422 `internal_valuation_not_allowed` (naming `field`) for a loan of `loan_amount` that
    may not rest on a bank's internal valuation: one above SMALL_LOAN_LIMIT, 10,000,000.00 yuan
    (`engine.bank.internal_valuation_allowed`; seed 000: 1000万元以下, which includes the figure,
    民法典 art. 1259). One text for the bank_internal valuation and the loan approval
    (ipfin.loans)."""
    limit = f"{SMALL_LOAN_LIMIT:,.2f}"
    return invalid(
        field,
        "internal_valuation_not_allowed",
        f"贷款金额 {to_fen(loan_amount):,.2f} 元超过 {limit} 元：按本平台规则，超过 {limit} 元的"
        "知识产权质押贷款须有外部评估报告，不能只依据银行内部评估（知识产权质押融资 seed 000：鼓励"
        "银行对1000万元以下的知识产权质押贷款采用内部评估；“以下”含本数，民法典第一千二百五十九条）。",
        f"A loan of {to_fen(loan_amount):,.2f} yuan is above {limit} yuan: above that line an "
        "external valuation report is the platform's rule, the bank's internal valuation alone is "
        "not enough (IP pledge financing seed 000: 鼓励银行对1000万元以下的知识产权质押贷款采用"
        "内部评估, banks are encouraged to value internally for IP pledge loans of 10 million "
        "yuan or less; 以下 includes the figure, Civil Code art. 1259).",
        limit=money_str(SMALL_LOAN_LIMIT),
    )


# --- rights --------------------------------------------------------------------------------------


def resolve_rights(numbers: Sequence[str]) -> list[Right]:
    """The rights a valuation names (`rights_named`: at most MAX_RIGHTS_PER_VALUATION)."""
    return rights_named(
        numbers, at_most=MAX_RIGHTS_PER_VALUATION, per_zh="一次评估", per_en="A valuation"
    )


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
    # Exact integer weights: each score's decimal text scaled by the longest fraction among them.
    places = max(max(-int(w.as_tuple().exponent), 0) for w in weights)
    units = [int(w.scaleb(places)) for w in weights]
    fen_total = int((to_fen(total) / FEN).to_integral_value())
    parts = largest_remainder(fen_total, list(enumerate(units)))
    return [Decimal(parts[i]) * FEN for i in range(n)]


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
        "appraisers": [n for n in (valuation.appraiser_one, valuation.appraiser_two) if n],
        "fee": money_str(valuation.fee) if valuation.fee is not None else None,
        "fee_payer_id": valuation.fee_payer_id,
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


def _client_bank(actor: User, client_bank_uscc: str | None) -> Organisation | None:
    """The client bank (委托银行) a new valuation names, if any. Who may name one:

    - a valuation agency, any bank registered on the platform (a 422 `client_bank_unknown`
      otherwise): the bank that engaged it, which then rechecks the report;
    - a bank, only itself (its own valuation, whose maker IS the client bank);
    - nobody else. A bank naming another bank is a 403 `client_bank_not_allowed`: it is not a
      valuer another bank engages, and its figure would reach that bank as if it were a report
      made for it (the other bank's loan approval could rest on it). A 403, not a 422: the
      request is well formed and the bank exists; what is refused is who asks, and no other
      value of the field but the asker's own credit code would be accepted.
    """
    if not client_bank_uscc:
        return None
    code = clean_uscc(client_bank_uscc)
    own = acting_organisation(actor)
    if own.kind != OrganisationKind.VALUATION_AGENCY:
        if own.kind == OrganisationKind.BANK and own.uscc == code:
            return own
        raise PermissionDenied(
            "只有评估机构可以为其他银行出具评估报告：银行只能将本行作为自己评估的委托银行。",
            "Only a valuation agency may name another organisation's bank as client bank: a "
            "bank may name only itself, for its own valuation.",
            code="client_bank_not_allowed",
        )
    bank = Organisation.objects.filter(uscc=code, kind=OrganisationKind.BANK).first()
    if bank is None:
        raise invalid(
            None,
            "client_bank_unknown",
            f"统一社会信用代码为 {code} 的银行尚未在平台注册。",
            f"No bank with credit code {code} is registered on the platform.",
        )
    return bank


def _bank_internal(
    actor: User, rights: Sequence[Right], inputs: dict[str, Any]
) -> tuple[Decimal, dict[str, Any], dict[str, Any]]:
    """A bank's own valuation with its internal model (no external report): the reference value
    of each right is given in `inputs["reference_values"]` ({number: amount}); `loan_amount`
    (optional) must be at most 10,000,000.00 yuan, the limit of internal valuation, that figure
    included (`internal_valuation_refused`); `product` picks the maximum pledge rate."""
    if acting_organisation(actor).kind != OrganisationKind.BANK:
        raise PermissionDenied(
            "只有银行可以使用内部评估模型。",
            "Only a bank can value with its internal model.",
            code="forbidden",
        )
    raw = inputs.get("reference_values")
    if not isinstance(raw, dict):
        raise invalid(
            "reference_values",
            "valuation_input",
            "请按权利号填写参考价值（reference_values）。",
            "reference_values must map each right's number to an amount.",
        )
    model = bank_model_of(actor.organisation_id)
    scores = _stored_scores(rights)
    collateral = []
    by_number = {str(k).strip(): v for k, v in raw.items()}
    for right in rights:
        field = f"reference_values.{right.number}"
        if right.number not in by_number:
            raise invalid(
                field,
                "valuation_input",
                f"缺少 {right.number} 的参考价值。",
                f"The reference value of {right.number} is missing.",
            )
        amount = _reference_amount(right.number, by_number[right.number])
        score = scores.get(right.pk)
        collateral.append(
            CollateralRight(
                number=right.number,
                kind=right.kind,
                reference_value=amount,
                score=Decimal(repr(score)) if score is not None else None,
            )
        )
    product = str(inputs.get("product") or next(iter(model.max_pledge_rates)))
    loan_amount: Decimal | None = None
    if inputs.get("loan_amount") not in (None, ""):
        loan_amount = amount_in(
            inputs["loan_amount"], "loan_amount", positive=False, label_zh="贷款金额"
        )
        if not internal_valuation_allowed(loan_amount):
            raise internal_valuation_refused(loan_amount, field="loan_amount")
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


def _reference_amount(number: str, raw: Any) -> Decimal:
    """The bank's reference value of the right `number`, to the fen: a 422 naming
    `reference_values.<number>` unless it is a number from 0 to `MAX_AMOUNT`."""
    field = f"reference_values.{number}"
    amount = parse_decimal(raw, field)
    if amount < 0 or amount > MAX_AMOUNT:
        raise invalid(
            field,
            "valuation_input",
            f"{number} 的参考价值应在 0 至 {MAX_AMOUNT:,} 元之间。",
            f"The reference value of {number} must be between 0 and {MAX_AMOUNT:,}.",
        )
    return to_fen(amount)


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
    actor: User,
    rights: Sequence[str],
    method: str,
    inputs: dict[str, Any],
    client_bank_uscc: str | None = None,
    valuation_date: date | None = None,
    today: date | None = None,
) -> Valuation:
    """Value one right or a package (`rights`: numbers) with `method` and store a draft.

    income / cost / market: `inputs` as `valuation_preview` takes them (without `method`),
    under the preview's rules (`assessment.assess`: for the income approach the economic life may
    not exceed the remaining legal term, the longest of the package's rights on the valuation
    date, the package earning while one of them is in force: a longer `life_years` is a 422).
    bank_internal: see `_bank_internal` (banks only). The client bank (optional; see
    `_client_bank` for who may name one) sees the report and is notified when it is issued.
    """
    require(actor, Perm.VALUATION_WRITE)
    if method not in ValuationMethod.values:
        raise invalid(
            "method",
            "valuation_input",
            "评估方法应为 income、cost、market 或 bank_internal。",
            "method must be income, cost, market or bank_internal.",
        )
    if not isinstance(inputs, dict):
        raise invalid(
            "inputs", "valuation_input", "评估参数应为对象。", "inputs must be an object."
        )
    day = _today(today)
    base_date = valuation_date or day
    check_valuation_date(base_date, today=day)
    client = _client_bank(actor, client_bank_uscc)
    wanted = resolve_rights(rights)
    if method == ValuationMethod.BANK_INTERNAL:
        value, echo, details = _bank_internal(actor, wanted, inputs)
    else:
        # The preview's rules, in one place (issue 13): `assessment.assess`.
        outcome = assess(
            rights=wanted, method=method, inputs=inputs, valuation_date=base_date, today=day
        ).result
        value, echo, details = outcome.value, outcome.inputs, outcome.details
    with transaction.atomic():
        valuation = Valuation.objects.create(
            organisation=acting_organisation(actor),
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


APPRAISER_NAME_MAX = 50


def _appraisers(actor: User, names: Sequence[str] | None) -> tuple[str, str]:
    """The appraisers (资产评估师) who sign the report, cleaned. A valuation agency's report is
    signed by at least two appraisers who did the work (资产评估法 2016 art. 26; 资产评估执业准则
    ——资产评估报告 2018): two different names, else a 422 `appraisers_required` naming
    `appraisers`. A bank's own valuation is no asset-valuation report: names are optional."""
    cleaned = [" ".join(str(n).split()) for n in (names or [])]
    cleaned = [n for n in cleaned if n]
    if any(len(n) > APPRAISER_NAME_MAX for n in cleaned):
        raise invalid(
            "appraisers",
            "appraiser_name_too_long",
            f"资产评估师姓名最多 {APPRAISER_NAME_MAX} 个字符。",
            f"An appraiser's name has at most {APPRAISER_NAME_MAX} characters.",
        )
    agency = acting_organisation(actor).kind == OrganisationKind.VALUATION_AGENCY
    if len(cleaned) > 2 or len(set(cleaned)) != len(cleaned) or (agency and len(cleaned) != 2):
        raise invalid(
            "appraisers",
            "appraisers_required",
            "评估机构出具的评估报告须由两名不同的承办资产评估师签名（资产评估法第二十六条）：请填写"
            "两名资产评估师的姓名。",
            "A valuation agency's report is signed by two different appraisers who did the work "
            "(Asset Appraisal Law art. 26): give the two appraisers' names.",
        )
    padded = [*cleaned, "", ""]
    return padded[0], padded[1]


def _fee_payer(valuation: Valuation, uscc: Any) -> Organisation:
    """The enterprise paying the evaluation fee: a current holder of a right valued (422
    `fee_payer_invalid` naming `fee_payer_uscc` otherwise)."""
    code = clean_uscc(str(uscc or ""))
    payer = (
        Organisation.objects.filter(
            uscc=code,
            pk__in=RightOwner.objects.filter(
                right__in=valuation.rights.all(), valid_to__isnull=True
            ).values("organisation_id"),
        ).first()
        if code
        else None
    )
    if payer is None:
        raise invalid(
            "fee_payer_uscc",
            "fee_payer_invalid",
            "评估费付费方应为被评估知识产权的现权利人（请填写其统一社会信用代码）。",
            "The fee's payer is a current holder of a right valued (its credit code).",
        )
    return payer


def valuation_issue(
    *,
    actor: User,
    valuation: Valuation,
    appraisers: Sequence[str] | None = None,
    fee: Any = None,
    fee_payer_uscc: Any = None,
) -> Valuation:
    """The maker issues (出具) its draft, signed by `appraisers` (`_appraisers`: two names for a
    valuation agency's report): the client bank, if any, is notified. It may state the
    evaluation fee it charged (`fee`) and the enterprise that paid it (`fee_payer_uscc`, a
    current holder of a right valued): what a fee subsidy (贴费) reads."""
    require(actor, Perm.VALUATION_WRITE)
    if valuation.organisation_id != actor.organisation_id:
        raise _not_found()
    one, two = _appraisers(actor, appraisers)
    charged = optional_amount_in(fee, "fee", label_zh="评估费")
    if charged is not None and acting_organisation(actor).kind != OrganisationKind.VALUATION_AGENCY:
        raise invalid(
            "fee",
            "fee_not_agency",
            "只有评估机构出具的评估报告可以载明评估费（银行内部评估不收取评估费）。",
            "Only a valuation agency's report states an evaluation fee (a bank's own valuation "
            "charges none).",
        )
    with transaction.atomic():
        locked = _lock(valuation)
        _transition(locked, ValuationState.DRAFT, "issued")
        payer = _fee_payer(locked, fee_payer_uscc) if charged is not None else None
        before = _snapshot(locked)
        locked.state = ValuationState.ISSUED
        locked.issued_at = timezone.now()
        locked.issued_by = actor
        locked.appraiser_one, locked.appraiser_two = one, two
        locked.fee, locked.fee_payer = charged, payer
        locked.save()
        audit_record(
            actor=actor,
            action="valuation.issue",
            obj=locked,
            before=before,
            after=_snapshot(locked, before["rights"]),
        )
        if locked.client_bank_id is not None:
            maker = acting_organisation(actor).name
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


def _recheck_actor_check(actor: User, valuation: Valuation) -> None:
    """Only the client bank rechecks another's report: the maker gets a 403 (also a bank that
    named itself client of its own valuation: a recheck holds a report against the bank's own
    figure, which its own valuation already is), anyone else a 404."""
    require(actor, Perm.VALUATION_WRITE)
    org_id = acting_organisation(actor).pk
    if valuation.organisation_id == org_id:
        raise PermissionDenied(
            "只有委托银行可以复核评估报告，评估报告的出具方不能复核自己的报告。",
            "Only the client bank can recheck a valuation, never its maker.",
            code="forbidden",
        )
    if valuation.client_bank_id != org_id:
        raise _not_found()


def _own_internal_values(bank_id: int, rights: Sequence[Right]) -> dict[int, tuple[Decimal, int]]:
    """{right id: (reference value, valuation id)} from the bank's own most recent
    `bank_internal` valuation covering each right (any state: it is the bank's own figure). One
    read; a valuation whose inputs lack the right's figure is skipped for an older one."""
    items = (
        ValuationRight.objects.filter(
            right_id__in=[r.pk for r in rights],
            valuation__organisation_id=bank_id,
            valuation__method=ValuationMethod.BANK_INTERNAL,
        )
        .select_related("valuation", "right")
        .order_by("-valuation__created_at", "-valuation_id")
    )
    found: dict[int, tuple[Decimal, int]] = {}
    for item in items:
        if item.right_id in found:
            continue
        inputs = item.valuation.inputs if isinstance(item.valuation.inputs, dict) else {}
        given = inputs.get("reference_values")
        raw = given.get(item.right.number) if isinstance(given, dict) else None
        if raw in (None, ""):
            continue
        try:
            found[item.right_id] = (to_fen(Decimal(str(raw))), item.valuation_id)
        except (ArithmeticError, ValueError):  # pragma: no cover - stored by _bank_internal
            continue
    return found


def bank_reference_values(
    *, actor: User, rights: Sequence[Right]
) -> dict[str, tuple[Decimal, int]]:
    """What a recheck by `actor`'s bank takes when no figures are given: {number: (the bank's
    reference value, the id of its bank_internal valuation)} for those of `rights` that have one
    (the recheck form is prefilled with them). Only the actor's own organisation's valuations are
    read."""
    own = _own_internal_values(acting_organisation(actor).pk, rights)
    return {r.number: own[r.pk] for r in rights if r.pk in own}


def _missing_bank_value(number: str) -> ValidationFailed:
    return invalid(
        "reference_values",
        "recheck_needs_bank_value",
        f"缺少本行对 {number} 的评估值：请填写参考价值，或先用内部评估模型评估该项权利。",
        f"The bank has no value of {number}: give its reference value, or first value the right "
        "with the bank's internal model.",
        right=number,
    )


def _given_values(rights: Sequence[Right], given: Mapping[str, Any]) -> dict[int, Decimal]:
    """{right id: amount} from `reference_values` as given ({number: amount}, any accepted
    spelling of the number); a key naming no right of the report is a 422 (a typo would otherwise
    leave a right without its figure); an empty amount counts as not given."""
    if not isinstance(given, Mapping):
        raise invalid(
            "reference_values",
            "valuation_input",
            "参考价值（reference_values）应为 {权利号: 金额}。",
            "reference_values must map each right's number to an amount.",
        )
    values: dict[int, Decimal] = {}
    for key, raw in given.items():
        text = str(key)
        candidates = set(number_candidates(text))
        right = next((r for r in rights if r.number in candidates), None)
        if right is None or right.pk in values:
            raise invalid(
                f"reference_values.{text[:40]}",
                "valuation_input",
                f"“{text[:40]}”不是本评估报告的权利，或重复填写。",
                f"{text[:40]!r} is not a right of this valuation, or is given twice.",
            )
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        values[right.pk] = _reference_amount(right.number, raw)
    return values


def valuation_recheck(
    *,
    actor: User,
    valuation: Valuation,
    reference_values: Mapping[str, Any] | None = None,
) -> Valuation:
    """The client bank rechecks (复核) an issued report against its own value of the report's
    rights (see the module docstring): `reference_values` {number: amount}, as the bank's
    internal model takes them, or (None) the bank's own latest bank_internal valuation of each
    right. A right without a bank figure is a 422 `recheck_needs_bank_value` (nothing changes).
    The maker is notified, with the figures and the flag."""
    _recheck_actor_check(actor, valuation)
    org_id = acting_organisation(actor).pk
    with transaction.atomic():
        locked = _lock(valuation)
        _transition(locked, ValuationState.ISSUED, "rechecked")
        items = list(locked.items.select_related("right").order_by("position", "id"))
        rights = [item.right for item in items]
        if reference_values is not None:
            given = _given_values(rights, reference_values)
            figures = {pk: (amount, "given") for pk, amount in given.items()}
        else:
            own = _own_internal_values(org_id, rights)
            figures = {pk: (amount, f"bank_internal #{vid}") for pk, (amount, vid) in own.items()}
        for right in rights:
            if right.pk not in figures:
                raise _missing_bank_value(right.number)
        bank_total = sum((figures[r.pk][0] for r in rights), Decimal(0))
        if bank_total > MAX_AMOUNT:
            raise invalid(
                "reference_values",
                "amount_too_large",
                f"本行对这些权利的评估值合计超出可记录的金额上限 {MAX_AMOUNT:,} 元。",
                f"The bank's values of these rights sum past the largest amount that can be "
                f"recorded ({MAX_AMOUNT:,} yuan).",
            )
        if bank_total <= 0:
            raise invalid(
                "reference_values",
                "recheck_bank_value_zero",
                "本行对这些权利的评估值合计为 0，无法计算偏离度。",
                "The bank's values of these rights sum to 0: there is no deviation to measure.",
            )
        model = bank_model_of(org_id)
        outcome = recheck(locked.value, bank_total, model.recheck_threshold)
        scores = _stored_scores(rights)
        ordered_scores = [scores.get(r.pk) for r in rights]
        shares = split_by_score(locked.value, ordered_scores)
        collateral = internal_valuation(
            [
                CollateralRight(
                    number=right.number,
                    kind=right.kind,
                    reference_value=figures[right.pk][0],
                    score=Decimal(repr(score)) if score is not None else None,
                )
                for right, score in zip(rights, ordered_scores, strict=True)
            ],
            model,
        )
        product = next(iter(model.max_pledge_rates))
        bases = list(dict.fromkeys(figures[r.pk][1] for r in rights))
        before = _snapshot(locked, [r.number for r in rights])
        for item, line in zip(items, collateral.lines, strict=True):
            item.reference_value = line.reference_value
            item.internal_value = line.value
        ValuationRight.objects.bulk_update(items, ["reference_value", "internal_value"])
        locked.state = ValuationState.RECHECKED
        locked.internal_value = outcome.internal_value
        locked.deviation = outcome.deviation.quantize(Decimal("0.000001"))
        locked.threshold = outcome.threshold
        locked.flagged = outcome.flagged
        locked.recheck = {
            "basis": ", ".join(bases),
            "external_value": money_str(locked.value),
            "bank_value": money_str(bank_total),
            "deviation": dec_str(outcome.deviation),
            "threshold": dec_str(outcome.threshold),
            "flagged": outcome.flagged,
            "collateral_value": money_str(collateral.value),
            "product": product,
            "max_loan_amount": money_str(max_loan_amount(collateral.value, product, model)),
            # The report's one figure apportioned by stored score (equally when unscored): a
            # reading aid per right, not the report's own per-right value; no flag rests on it.
            "external_share_split": (
                "score" if all(s is not None for s in ordered_scores) else "equal"
            ),
            "lines": [
                {
                    "number": line.number,
                    "kind": line.kind,
                    "basis": figures[right.pk][1],
                    "reference_value": money_str(line.reference_value),
                    "external_share": money_str(share),
                    "score_factor": dec_str(line.score_factor),
                    "haircut": dec_str(line.haircut),
                    "collateral_value": money_str(line.value),
                }
                for right, line, share in zip(rights, collateral.lines, shares, strict=True)
            ],
        }
        locked.rechecked_at = timezone.now()
        locked.rechecked_by = actor
        locked.save()
        audit_record(
            actor=actor,
            action="valuation.recheck",
            obj=locked,
            before=before,
            after={
                **_snapshot(locked, before["rights"]),
                "basis": locked.recheck["basis"],
                "reference_values": {
                    line.number: money_str(line.reference_value) for line in collateral.lines
                },
            },
        )
        _notify_recheck(actor, locked)
    return locked


def _notify_recheck(actor: User, valuation: Valuation) -> None:
    bank = acting_organisation(actor).name
    internal = money_str(valuation.internal_value or Decimal(0))
    external = money_str(valuation.value)
    pct = ((valuation.deviation or Decimal(0)) * 100).quantize(Decimal("0.1"))
    limit = ((valuation.threshold or Decimal(0)) * 100).quantize(Decimal("0.1"))
    zh = (
        f"{bank} 复核评估报告 #{valuation.pk}：银行内部评估值 {internal} 元，外部评估值 "
        f"{external} 元，偏离度 {pct}%（阈值 {limit}%）"
    )
    en = (
        f"{bank} rechecked valuation #{valuation.pk}: bank's internal value {internal} yuan, "
        f"external value {external} yuan, deviation {pct}% (threshold {limit}%)"
    )
    if valuation.flagged:
        zh += "，超过阈值，已标记。"
        en += ", above the threshold (flagged)."
    else:
        zh += "，在阈值以内。"
        en += ", within the threshold."
    notify(
        organisation_id=valuation.organisation_id,
        verb="valuation.recheck",
        message_zh=zh,
        message_en=en,
        obj=valuation,
    )
