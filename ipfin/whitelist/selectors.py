"""Reads of the white list, each limited to what the actor may see.

- Imported lists and screening rules are the IP office's (`Perm.WHITELIST_MANAGE`); anyone else
  is refused (403: no other role ever manages them).
- Batches, follow-ups, figures and recommendations: whoever holds `Perm.WHITELIST_VIEW_ALL` (the
  office; regulators, read-only: every write is a service that requires MANAGE or FOLLOW_UP) sees
  all; a bank sees the published batches pushed to it, and only its own
  follow-ups on them; another batch is a 404, never a 403. Recommendations: the office sees all,
  a bank its own.
- The "IP + credit" scores of many enterprises come from `ipfin.valuation.selectors.
  credit_scores_bulk` (a fixed number of queries).
- `screening_preview`: every enterprise, in or out, with the criteria met and failed.
  `screening_candidates`: the set-based query that narrows the enterprises before scoring.
- `bank_customers`: the enterprises in a published batch pushed to a bank (this app's part of
  `ipfin.accounts.customers`).
- `conversion_figures`: pushed → contacted → credit granted → disbursed / declined, per batch, per
  bank or per (batch, bank), from SQL aggregates over the latest follow-up of each (entry, bank).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypedDict, TypeVar

from django.db.models import (
    Count,
    Exists,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from ipfin.accounts.models import Organisation, OrganisationKind
from ipfin.accounts.permissions import Actor, Perm, has_perm, require, require_login, tenant_scope
from ipfin.common.errors import NotFound, PermissionDenied
from ipfin.common.money import to_fen
from ipfin.registry.domain import Status
from ipfin.valuation.domain.credit import CreditScore
from ipfin.valuation.domain.errors import ValuationInputError
from ipfin.valuation.models import EnterpriseCreditProfile
from ipfin.valuation.selectors import credit_scores_bulk, dishonesty_on
from ipfin.whitelist.domain import (
    ConversionRates,
    Criteria,
    EnterpriseFacts,
    Verdict,
    conversion,
    screen,
)
from ipfin.whitelist.models import (
    AMOUNT_STATUSES,
    BankRecommendation,
    BatchState,
    FollowUpStatus,
    ImportedList,
    ImportedListEntry,
    ScreeningRule,
    WhitelistBatch,
    WhitelistEntry,
    WhitelistFollowUp,
    WhitelistPush,
)

__all__ = [
    "FIGURE_FIELDS",
    "ScoredEnterprise",
    "bank_customers",
    "banks_for_push",
    "batch_get",
    "batch_list",
    "conversion_figures",
    "criteria_of",
    "entry_get",
    "follow_up_rows",
    "imported_list_get",
    "imported_list_list",
    "is_bank",
    "is_office",
    "latest_follow_ups",
    "recommendation_figures",
    "recommendation_get",
    "recommendation_list",
    "rule_get",
    "rule_list",
    "screening_candidates",
    "screening_preview",
    "sees_all",
]

_IN_FORCE = frozenset({Status.IN_FORCE, Status.GRACE_PERIOD})


_M = TypeVar("_M", bound=Model)


def bank_customers(bank_id: int) -> Q:
    """The enterprises (a Q over Organisation) with an entry in a published white-list batch
    pushed to the bank `bank_id`: `ipfin.accounts.customers`' whitelist part. (A bank's own
    recommendation of an enterprise does not count: the bank alone would make it.)"""
    entries = WhitelistEntry.objects.filter(
        batch__state=BatchState.PUBLISHED, batch__pushes__bank_id=bank_id
    )
    return Q(pk__in=entries.values("enterprise_id"))


def is_office(actor: Actor) -> bool:
    """May manage white lists (imports, rules, batches, pushes): the IP office."""
    return has_perm(actor, Perm.WHITELIST_MANAGE)


def sees_all(actor: Actor) -> bool:
    """May read every batch, follow-up and figure: the office, and regulators (read-only)."""
    return has_perm(actor, Perm.WHITELIST_VIEW_ALL)


def is_bank(actor: Actor) -> bool:
    """Follows white lists up: a bank."""
    return _bank_id(actor) is not None


def _bank_id(actor: Actor) -> int | None:
    """The actor's bank, if the actor may follow white lists up (a bank)."""
    if has_perm(actor, Perm.WHITELIST_FOLLOW_UP):
        org_id: int | None = getattr(actor, "organisation_id", None)
        return org_id
    return None


def _own_bank_rows(rows: QuerySet[_M], actor: Actor) -> QuerySet[_M]:
    """`rows` (of a table with a `bank`) limited to the actor's bank, all of them for those who
    see all (tenant_scope, the one tenant filter)."""
    scope = tenant_scope(actor, "bank", view_all=Perm.WHITELIST_VIEW_ALL)
    return rows if scope is None else rows.filter(scope)


def _require_party(actor: Actor) -> None:
    """The office, a regulator or a bank; anyone else has no business with white lists."""
    require_login(actor)
    if not sees_all(actor) and _bank_id(actor) is None:
        raise PermissionDenied(
            "您没有查看白名单的权限。", "You may not see white lists.", code="forbidden"
        )


# --- imported lists and rules --------------------------------------------------------------------


def imported_list_list(*, actor: Actor, kind: str | None = None) -> QuerySet[ImportedList]:
    require(actor, Perm.WHITELIST_MANAGE)
    rows = ImportedList.objects.select_related("imported_by")
    return rows.filter(kind=kind) if kind else rows


def imported_list_get(*, actor: Actor, pk: int) -> ImportedList:
    require(actor, Perm.WHITELIST_MANAGE)
    found = ImportedList.objects.filter(pk=pk).first()
    if found is None:
        raise NotFound("未找到该导入名单。", "No such imported list.", code="import_not_found")
    return found


def rule_list(*, actor: Actor) -> QuerySet[ScreeningRule]:
    require(actor, Perm.WHITELIST_MANAGE)
    return ScreeningRule.objects.select_related("owner")


def rule_get(*, actor: Actor, pk: int) -> ScreeningRule:
    require(actor, Perm.WHITELIST_MANAGE)
    found = ScreeningRule.objects.select_related("owner").filter(pk=pk).first()
    if found is None:
        raise NotFound("未找到该筛选规则。", "No such screening rule.", code="rule_not_found")
    return found


def criteria_of(rule: ScreeningRule) -> Criteria:
    return Criteria(
        min_credit_score=rule.min_credit_score,
        industries=tuple(rule.industries or ()),
        park_ids=tuple(int(p) for p in rule.park_ids or ()),
        regions=tuple(rule.regions or ()),
        sizes=tuple(rule.sizes or ()),
        required_list_kinds=tuple(rule.required_list_kinds or ()),
    )


# --- "IP + credit" scores, many at once ----------------------------------------------------------


# --- screening -----------------------------------------------------------------------------------


def _current_list_kinds(org_ids: Iterable[int] | None = None) -> dict[int, frozenset[str]]:
    rows = ImportedListEntry.objects.filter(
        matched=True, organisation__isnull=False, imported_list__is_current=True
    )
    if org_ids is not None:
        rows = rows.filter(organisation_id__in=list(org_ids))
    kinds: dict[int, set[str]] = defaultdict(set)
    for org_id, kind in rows.values_list("organisation_id", "imported_list__kind").distinct():
        kinds[org_id].add(kind)
    return {org_id: frozenset(k) for org_id, k in kinds.items()}


def screening_candidates(criteria: Criteria) -> QuerySet[Organisation]:
    """The enterprises that pass every criterion but the score, in one query: the set worth
    scoring. Agrees with `domain.screen` on those criteria (a test holds the two equal)."""
    rows = Organisation.objects.filter(kind=OrganisationKind.ENTERPRISE).filter(
        Exists(EnterpriseCreditProfile.objects.filter(organisation=OuterRef("pk")))
    )
    if criteria.industries:
        rows = rows.filter(industry__in=criteria.industries)
    if criteria.park_ids:
        rows = rows.filter(park_id__in=criteria.park_ids)
    if criteria.regions:
        region_q = Q()
        for region in criteria.regions:
            region_q |= Q(region__startswith=region)
        rows = rows.filter(region_q).exclude(region="")
    if criteria.sizes:
        rows = rows.filter(size__in=criteria.sizes)
    for kind in criteria.required_list_kinds:
        rows = rows.filter(
            Exists(
                ImportedListEntry.objects.filter(
                    organisation=OuterRef("pk"),
                    matched=True,
                    imported_list__kind=kind,
                    imported_list__is_current=True,
                )
            )
        )
    return rows.order_by("pk")


@dataclass(frozen=True)
class ScoredEnterprise:
    organisation: Organisation
    score: CreditScore | None
    verdict: Verdict


def _facts(
    org: Organisation,
    kinds: dict[int, frozenset[str]],
    scores: dict[int, CreditScore | ValuationInputError],
    dishonest: Mapping[int, date],
) -> tuple[EnterpriseFacts, CreditScore | None]:
    scored = scores.get(org.pk)
    score = scored if isinstance(scored, CreditScore) else None
    return (
        EnterpriseFacts(
            id=org.pk,
            industry=org.industry,
            region=org.region,
            park_id=org.park_id,
            size=org.size,
            list_kinds=kinds.get(org.pk, frozenset()),
            credit_score=score.total if score is not None else None,
            score_error=scored.detail_en if isinstance(scored, ValuationInputError) else "",
            # From the records themselves: an enterprise without a credit profile has no score
            # to carry its 失信 record, and passed the screening with it.
            dishonesty_on=dishonest.get(org.pk),
        ),
        score,
    )


def _scored(orgs: Sequence[Organisation], criteria: Criteria, on: date) -> list[ScoredEnterprise]:
    kinds = _current_list_kinds([o.pk for o in orgs])
    scores = credit_scores_bulk(orgs, on=on)
    dishonest = dishonesty_on([o.pk for o in orgs], on)
    result = []
    for org in orgs:
        facts, score = _facts(org, kinds, scores, dishonest)
        result.append(ScoredEnterprise(org, score, screen(facts, criteria)))
    # Highest score first, then by name: the order a bank reads the list in.
    result.sort(key=lambda s: (-(s.score.total if s.score else -1), s.organisation.name))
    return result


def screening_preview(
    *, actor: Actor, criteria: Criteria, on: date
) -> tuple[list[ScoredEnterprise], list[ScoredEnterprise]]:
    """(in, out): every enterprise on the platform, with why it is in or out."""
    require(actor, Perm.WHITELIST_MANAGE)
    orgs = list(Organisation.objects.filter(kind=OrganisationKind.ENTERPRISE).order_by("pk"))
    scored = _scored(orgs, criteria, on)
    return [s for s in scored if s.verdict.included], [s for s in scored if not s.verdict.included]


def screening_selected(criteria: Criteria, on: date) -> list[ScoredEnterprise]:
    """The enterprises a batch takes: the candidates (one query), scored, screened."""
    orgs = list(screening_candidates(criteria))
    return [s for s in _scored(orgs, criteria, on) if s.verdict.included]


# --- batches -------------------------------------------------------------------------------------


def _batch_scope(actor: Actor) -> Q | None:
    """None for view-all (all batches); the published batches pushed to the actor's bank."""
    _require_party(actor)
    if sees_all(actor):
        return None
    bank_id = _bank_id(actor)
    return Q(state=BatchState.PUBLISHED) & Q(
        Exists(WhitelistPush.objects.filter(batch=OuterRef("pk"), bank_id=bank_id))
    )


def batch_list(*, actor: Actor, state: str | None = None) -> QuerySet[WhitelistBatch]:
    scope = _batch_scope(actor)
    rows = WhitelistBatch.objects.select_related("rule").annotate(
        entry_count=Count("entries", distinct=True)
    )
    if scope is not None:
        rows = rows.filter(scope)
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-created_at", "-id")


def batch_get(*, actor: Actor, pk: int) -> WhitelistBatch:
    scope = _batch_scope(actor)
    rows = WhitelistBatch.objects.select_related("rule", "published_by", "created_by")
    if scope is not None:
        rows = rows.filter(scope)
    found = rows.filter(pk=pk).first()
    if found is None:
        raise NotFound("未找到该白名单批次。", "No such white-list batch.", code="batch_not_found")
    return found


def batch_entries(batch: WhitelistBatch) -> QuerySet[WhitelistEntry]:
    return batch.entries.select_related("enterprise").order_by(
        F("credit_score").desc(nulls_last=True), "enterprise__name", "id"
    )


def batch_pushes(batch: WhitelistBatch, *, actor: Actor) -> list[WhitelistPush]:
    rows = batch.pushes.select_related("bank", "pushed_by")
    rows = _own_bank_rows(rows, actor)
    return list(rows)


def entry_get(*, actor: Actor, pk: int) -> WhitelistEntry:
    """An entry of a batch the actor may see (404 otherwise)."""
    entry = WhitelistEntry.objects.select_related("batch", "enterprise").filter(pk=pk).first()
    if entry is None:
        raise NotFound("未找到该白名单企业。", "No such white-list entry.", code="entry_not_found")
    batch_get(actor=actor, pk=entry.batch_id)  # 404 for a bank the batch was not pushed to
    return entry


def _latest_id(status: str | None = None) -> QuerySet[WhitelistFollowUp]:
    rows = WhitelistFollowUp.objects.filter(entry=OuterRef("entry"), bank=OuterRef("bank"))
    if status is not None:
        rows = rows.filter(status=status)
    return rows.order_by("-recorded_at", "-id")


def latest_follow_ups(*, actor: Actor, batch: WhitelistBatch | None = None) -> QuerySet[Any]:
    """The latest follow-up of each (entry, bank): the pair's state. A bank sees its own."""
    _require_party(actor)
    rows = WhitelistFollowUp.objects.filter(pk=Subquery(_latest_id().values("pk")[:1]))
    rows = _own_bank_rows(rows, actor)
    if batch is not None:
        rows = rows.filter(entry__batch=batch)
    return rows.select_related("bank", "entry__enterprise", "recorded_by")


def follow_up_history(*, actor: Actor, entry: WhitelistEntry) -> QuerySet[WhitelistFollowUp]:
    _require_party(actor)
    rows = entry.follow_ups.select_related("bank", "recorded_by")
    rows = _own_bank_rows(rows, actor)
    return rows.order_by("recorded_at", "id")


def follow_up_rows(*, actor: Actor, batch: WhitelistBatch) -> QuerySet[WhitelistFollowUp]:
    """Every follow-up on the batch (history), a bank's own only."""
    _require_party(actor)
    rows = WhitelistFollowUp.objects.filter(entry__batch=batch)
    rows = _own_bank_rows(rows, actor)
    return rows.select_related("entry__enterprise", "bank", "recorded_by").order_by(
        "entry__enterprise__name", "bank__name", "recorded_at", "id"
    )


def banks_for_push() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrganisationKind.BANK).order_by("name")


# --- figures -------------------------------------------------------------------------------------

FIGURE_FIELDS = (
    "pushed",
    "contacted",
    "credit_granted",
    "credit_granted_amount",
    "loan_disbursed",
    "loan_disbursed_amount",
    "declined",
)
_GROUPS = {"batch": ("batch", "entry__batch"), "bank": ("bank", "bank")}


def _zero() -> dict[str, Any]:
    return {
        "pushed": 0,
        "contacted": 0,
        "credit_granted": 0,
        "credit_granted_amount": Decimal("0.00"),
        "loan_disbursed": 0,
        "loan_disbursed_amount": Decimal("0.00"),
        "declined": 0,
    }


def _rates(row: dict[str, Any]) -> ConversionRates:
    return conversion(
        pushed=row["pushed"],
        contacted=row["contacted"],
        credit_granted=row["credit_granted"],
        loan_disbursed=row["loan_disbursed"],
        declined=row["declined"],
    )


def conversion_figures(
    *, actor: Actor, by: Sequence[str] = ("batch",), batch_id: int | None = None
) -> list[dict[str, Any]]:
    """Conversion figures grouped by `by` (any of "batch", "bank"; () for one total row).

    Counted over the (entry, bank) pairs pushed: `pushed` = entries × banks pushed to;
    `contacted` = pairs with any follow-up; `credit_granted` = pairs whose latest follow-up is
    credit granted or loan disbursed (a disbursal implies the credit), with the amount of the
    pair's latest credit-granted row (the disbursed amount when the bank recorded none);
    `loan_disbursed` = pairs whose latest is disbursed, with that amount; `declined` = latest
    declined. A bank sees its own pairs; view-all (office, regulators) all. Each figure is one
    SQL aggregate.
    """
    _require_party(actor)
    push_keys = [_GROUPS[g][0] for g in by]
    follow_keys = [_GROUPS[g][1] for g in by]
    pushes = WhitelistPush.objects.filter(batch__state=BatchState.PUBLISHED)
    latest = WhitelistFollowUp.objects.filter(pk=Subquery(_latest_id().values("pk")[:1]))
    pushes = _own_bank_rows(pushes, actor)
    latest = _own_bank_rows(latest, actor)
    if batch_id is not None:
        pushes = pushes.filter(batch_id=batch_id)
        latest = latest.filter(entry__batch_id=batch_id)
    granted_amount = Coalesce(
        Subquery(_latest_id(FollowUpStatus.CREDIT_GRANTED).values("amount")[:1]), F("amount")
    )
    follow_aggregates = {
        "contacted": Count("pk"),
        "credit_granted": Count("pk", filter=Q(status__in=AMOUNT_STATUSES)),
        "credit_granted_amount": Sum("granted_amount", filter=Q(status__in=AMOUNT_STATUSES)),
        "loan_disbursed": Count("pk", filter=Q(status=FollowUpStatus.LOAN_DISBURSED)),
        "loan_disbursed_amount": Sum("amount", filter=Q(status=FollowUpStatus.LOAN_DISBURSED)),
        "declined": Count("pk", filter=Q(status=FollowUpStatus.DECLINED)),
    }
    latest = latest.annotate(granted_amount=granted_amount)
    rows: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(_zero)
    if by:
        for pushed in pushes.values(*push_keys).annotate(n=Count("batch__entries")).order_by():
            rows[tuple(pushed[k] for k in push_keys)]["pushed"] = pushed["n"]
        for agg in latest.values(*follow_keys).annotate(**follow_aggregates).order_by():
            rows[tuple(agg[k] for k in follow_keys)].update(
                {k: agg[k] for k in follow_aggregates if agg[k] is not None}
            )
    else:
        rows[()]["pushed"] = pushes.aggregate(n=Count("batch__entries"))["n"]
        total = latest.aggregate(**follow_aggregates)
        rows[()].update({k: v for k, v in total.items() if v is not None})
    for row in rows.values():
        for field in ("credit_granted_amount", "loan_disbursed_amount"):
            row[field] = to_fen(row[field])  # SQLite sums DECIMAL columns as REAL-backed numbers
    names = _group_names(by, rows.keys())
    result = []
    for key, row in rows.items():
        labelled: dict[str, Any] = dict(zip(by, key, strict=True))
        for group, value in labelled.copy().items():
            labelled[f"{group}_name"] = names[group].get(value, "")
        result.append({**labelled, **row, "rates": _rates(row)})
    result.sort(key=lambda r: tuple(r[g] for g in by))
    return result


def _group_names(by: Sequence[str], keys: Iterable[tuple[Any, ...]]) -> dict[str, dict[int, str]]:
    ids: dict[str, set[int]] = {g: set() for g in by}
    for key in keys:
        for group, value in zip(by, key, strict=True):
            ids[group].add(value)
    names: dict[str, dict[int, str]] = {}
    if "batch" in ids:
        names["batch"] = dict(
            WhitelistBatch.objects.filter(pk__in=ids["batch"]).values_list("pk", "title")
        )
    if "bank" in ids:
        names["bank"] = dict(
            Organisation.objects.filter(pk__in=ids["bank"]).values_list("pk", "name")
        )
    return names


class RecommendationFigures(TypedDict):
    """One bank's row of `recommendation_figures`."""

    bank: int
    bank__name: str
    received: int
    accepted: int
    declined: int
    open: int


def recommendation_figures(*, actor: Actor) -> list[RecommendationFigures]:
    """Per bank: recommendations received, accepted into a batch, declined, still open."""
    _require_party(actor)
    rows = BankRecommendation.objects.all()
    rows = _own_bank_rows(rows, actor)
    return list(
        rows.values("bank", "bank__name")
        .annotate(
            received=Count("pk"),
            accepted=Count("pk", filter=Q(state="accepted_into_batch")),
            declined=Count("pk", filter=Q(state="declined")),
            open=Count("pk", filter=Q(state="received")),
        )
        .order_by("bank__name")
    )


# --- recommendations -----------------------------------------------------------------------------


def recommendation_list(*, actor: Actor, state: str | None = None) -> QuerySet[BankRecommendation]:
    _require_party(actor)
    rows = BankRecommendation.objects.select_related("bank", "enterprise", "batch", "created_by")
    rows = _own_bank_rows(rows, actor)
    if state:
        rows = rows.filter(state=state)
    return rows


def recommendation_get(*, actor: Actor, pk: int) -> BankRecommendation:
    found = recommendation_list(actor=actor).filter(pk=pk).first()
    if found is None:
        raise NotFound("未找到该推荐。", "No such recommendation.", code="recommendation_not_found")
    return found


def dishonest_entries(batch: WhitelistBatch, on: date) -> list[tuple[WhitelistEntry, date]]:
    """The batch's entries whose enterprise has a 失信被执行人 / 严重失信主体 record of the two
    years up to `on` (`dishonesty_on`), each with its record's day: those a publication on `on`
    leaves out (一票否决, as the screening applies it). Two queries."""
    entries = list(batch.entries.select_related("enterprise").order_by("id"))
    found = dishonesty_on([e.enterprise_id for e in entries], on)
    return [(e, found[e.enterprise_id]) for e in entries if e.enterprise_id in found]


def left_out_of(dishonest: list[tuple[WhitelistEntry, date]]) -> list[dict[str, Any]]:
    """`dishonest_entries` as a batch keeps them (`WhitelistBatch.left_out`) and the API shows
    them: the enterprise's id, name and credit code, and the record's day."""
    return [
        {
            "enterprise_id": entry.enterprise_id,
            "name": entry.enterprise.name,
            "uscc": entry.enterprise.uscc,
            "dishonesty_on": on.isoformat(),
        }
        for entry, on in dishonest
    ]


def entries_with_latest(batch: WhitelistBatch, *, actor: Actor) -> list[dict[str, Any]]:
    """The batch's entries, each with the latest follow-up per bank the actor may see."""
    latest: dict[int, list[WhitelistFollowUp]] = defaultdict(list)
    for follow_up in latest_follow_ups(actor=actor, batch=batch).order_by("bank__name"):
        latest[follow_up.entry_id].append(follow_up)
    return [
        {"entry": entry, "follow_ups": latest.get(entry.pk, [])} for entry in batch_entries(batch)
    ]
