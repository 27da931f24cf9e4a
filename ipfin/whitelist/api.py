"""REST adapters of the white list (/api/v1/whitelist/...): parse → one service / selector →
serialise.

Tenancy comes from the selectors: the IP office sees everything; a bank sees the published batches
pushed to it (another batch is a 404), only its own follow-ups and recommendations. Imports and
rules are the office's (403 for anyone else).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from ipfin.common.downloads import attachment
from ipfin.common.money import money_str, money_str_or_none
from ipfin.common.schemas import ErrorOut
from ipfin.jobs.api import accepted
from ipfin.jobs.schemas import JobRunOut
from ipfin.whitelist import exports, selectors, services
from ipfin.whitelist.models import (
    BatchState,
    FollowUpStatus,
    ImportedList,
    ImportedListEntry,
    ScreeningRule,
    WhitelistBatch,
    WhitelistFollowUp,
)
from ipfin.whitelist.schemas import (
    BatchIn,
    BatchOut,
    BatchPreviewIn,
    BatchSummaryOut,
    FiguresOut,
    FollowUpIn,
    FollowUpOut,
    ImportOut,
    ImportReportOut,
    PreviewOut,
    PushIn,
    PushResultOut,
    RecommendationDecisionIn,
    RecommendationIn,
    RecommendationOut,
    RuleIn,
    RuleOut,
)

router = Router()
LIST_LIMIT = 500


def _english() -> bool:
    return (get_language() or "").lower().startswith("en")


def _message(zh: str, en: str) -> str:
    return en if _english() else zh


def _reasons(items: Any) -> list[dict[str, str]]:
    return [
        {"code": str(r.get("code", "")), "message": _message(r.get("zh", ""), r.get("en", ""))}
        for r in items or []
        if isinstance(r, dict)
    ]


def _org(org: Any) -> dict[str, Any]:
    return {"id": org.pk, "name": org.name}


def _enterprise(org: Any) -> dict[str, Any]:
    return {"id": org.pk, "name": org.name, "uscc": org.uscc}


def _rate(value: Decimal | None) -> str | None:
    return f"{value:.4f}" if value is not None else None


# --- imports -------------------------------------------------------------------------------------


def _import(imported: ImportedList) -> dict[str, Any]:
    return {
        "id": imported.pk,
        "name": imported.name,
        "kind": imported.kind,
        "kind_label": str(imported.get_kind_display()),
        "version": imported.version,
        "is_current": imported.is_current,
        "filename": imported.filename,
        "rows_total": imported.rows_total,
        "rows_matched": imported.rows_matched,
        "rows_unmatched": imported.rows_total - imported.rows_matched,
        "imported_at": imported.imported_at,
        "imported_by": imported.imported_by.get_username(),
    }


def _row(entry: ImportedListEntry) -> dict[str, Any]:
    return {
        "row_no": entry.row_no,
        "uscc": entry.uscc,
        "name": entry.name,
        "matched": entry.matched,
        "matched_by": entry.matched_by,
        "enterprise": _enterprise(entry.organisation) if entry.organisation else None,
        "reason": entry.reason,
        "message": _message(entry.detail_zh, entry.detail_en),
    }


def _report(imported: ImportedList) -> dict[str, Any]:
    rows = [_row(e) for e in imported.entries.select_related("organisation").order_by("row_no")]
    return {
        **_import(imported),
        "unmatched": [r for r in rows if not r["matched"]],
        "matched": [r for r in rows if r["matched"]],
    }


@router.post("/whitelist/imports", response={201: ImportReportOut})
def import_list(
    request: HttpRequest,
    file: File[UploadedFile],
    kind: Form[str],
    name: Form[str] = "",
) -> Status[dict[str, Any]]:
    """Import a list (multipart: `file` .csv or .xlsx ≤ 5 MB, `kind`, optional `name`). The
    report lists the rows that did not match an enterprise, with row number and reason."""
    imported = services.list_import(actor=request.user, uploaded_file=file, kind=kind, name=name)
    return Status(201, _report(selectors.imported_list_get(actor=request.user, pk=imported.pk)))


@router.post("/whitelist/imports/jobs", response={202: JobRunOut})
def import_list_job(
    request: HttpRequest,
    response: HttpResponse,
    file: File[UploadedFile],
    kind: Form[str],
    name: Form[str] = "",
) -> Status[dict[str, Any]]:
    """The same import as a background run, for a large list: the kind, the name and the file's
    size and type are checked now (422, nothing queued); 202 with the run, `Location` its
    address (GET /jobs/{job_id}), polled until done (`result`: import_id, whose report is GET
    /whitelist/imports/{import_id}; rows_total, rows_matched) or failed (`result.refused`: the
    code and message the direct import would have answered). 409 `job_running` while the
    office's previous list import runs. Without a broker the run is over when this answers."""
    run = services.list_import_request(actor=request.user, uploaded_file=file, kind=kind, name=name)
    return accepted(request, response, run)


@router.get("/whitelist/imports", response=list[ImportOut])
def import_list_all(request: HttpRequest, kind: str | None = None) -> list[dict[str, Any]]:
    rows = selectors.imported_list_list(actor=request.user, kind=kind)[:LIST_LIMIT]
    return [_import(i) for i in rows]


@router.get("/whitelist/imports/{int:import_id}", response=ImportReportOut)
def import_report(request: HttpRequest, import_id: int) -> dict[str, Any]:
    return _report(selectors.imported_list_get(actor=request.user, pk=import_id))


# --- rules and preview ---------------------------------------------------------------------------


def _rule(rule: ScreeningRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "owner": _org(rule.owner),
        "min_credit_score": rule.min_credit_score,
        "industries": rule.industries,
        "park_ids": rule.park_ids,
        "regions": rule.regions,
        "sizes": rule.sizes,
        "required_list_kinds": rule.required_list_kinds,
        "created_at": rule.created_at,
    }


@router.post("/whitelist/rules", response={201: RuleOut})
def rule_create(request: HttpRequest, payload: RuleIn) -> Status[dict[str, Any]]:
    rule = services.rule_create(actor=request.user, **payload.dict())
    return Status(201, _rule(selectors.rule_get(actor=request.user, pk=rule.pk)))


@router.get("/whitelist/rules", response=list[RuleOut])
def rule_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_rule(r) for r in selectors.rule_list(actor=request.user)[:LIST_LIMIT]]


@router.get("/whitelist/rules/{int:rule_id}", response=RuleOut)
def rule_detail(request: HttpRequest, rule_id: int) -> dict[str, Any]:
    return _rule(selectors.rule_get(actor=request.user, pk=rule_id))


def _screened(s: selectors.ScoredEnterprise) -> dict[str, Any]:
    org = s.organisation
    return {
        "enterprise": _enterprise(org),
        "industry": org.industry,
        "region": org.region,
        "credit_score": s.score.total if s.score else None,
        "credit_grade": s.score.grade if s.score else None,
        "met": _reasons([r.as_dict() for r in s.verdict.met]),
        "failed": _reasons([r.as_dict() for r in s.verdict.failed]),
    }


@router.post("/whitelist/batches/preview", response=PreviewOut)
def batch_preview(request: HttpRequest, payload: BatchPreviewIn) -> dict[str, Any]:
    """Who a rule takes in and who it leaves out, and why (nothing is stored)."""
    rule = selectors.rule_get(actor=request.user, pk=payload.rule_id)
    on = payload.on or timezone.localdate()
    included, excluded = selectors.screening_preview(
        actor=request.user, criteria=selectors.criteria_of(rule), on=on
    )
    return {
        "rule_id": rule.pk,
        "on": on,
        "included_count": len(included),
        "excluded_count": len(excluded),
        "included": [_screened(s) for s in included],
        "excluded": [_screened(s) for s in excluded[:LIST_LIMIT]],
    }


# --- batches -------------------------------------------------------------------------------------


def _summary(batch: WhitelistBatch, entry_count: int | None = None) -> dict[str, Any]:
    count = entry_count if entry_count is not None else getattr(batch, "entry_count", None)
    return {
        "id": batch.pk,
        "title": batch.title,
        "state": batch.state,
        "rule": _org(batch.rule),
        "scored_on": batch.scored_on,
        "entry_count": count if count is not None else batch.entries.count(),
        "created_at": batch.created_at,
        "published_at": batch.published_at,
    }


def _follow_up(f: WhitelistFollowUp) -> dict[str, Any]:
    return {
        "id": f.pk,
        "entry_id": f.entry_id,
        "bank": _org(f.bank),
        "status": f.status,
        "status_label": str(FollowUpStatus(f.status).label),
        "amount": money_str_or_none(f.amount),
        "reason": f.reason,
        "note": f.note,
        "recorded_at": f.recorded_at,
    }


def _batch(request: HttpRequest, batch_id: int) -> dict[str, Any]:
    actor = request.user
    batch = selectors.batch_get(actor=actor, pk=batch_id)
    rows = selectors.entries_with_latest(batch, actor=actor)
    entries = [
        {
            "id": row["entry"].pk,
            "enterprise": _enterprise(row["entry"].enterprise),
            "credit_score": row["entry"].credit_score,
            "credit_grade": row["entry"].credit_grade,
            "source": row["entry"].source,
            "reasons": _reasons(row["entry"].reasons),
            "follow_ups": [_follow_up(f) for f in row["follow_ups"]],
        }
        for row in rows
    ]
    # A bank is not shown the office's criteria snapshot in full: the scores are the office's.
    criteria = batch.criteria if selectors.sees_all(actor) else {}
    return {
        **_summary(batch, len(entries)),
        "criteria": criteria,
        "pushes": [
            {"bank": _org(p.bank), "pushed_at": p.pushed_at}
            for p in selectors.batch_pushes(batch, actor=actor)
        ],
        "entries": entries,
        "left_out": _left_out(actor, batch),
    }


def _left_out(actor: Any, batch: WhitelistBatch) -> list[dict[str, Any]]:
    """Those the publication left out; of a draft, those a publication today would leave out
    (what its page warns of before the office confirms). The office's view only."""
    if not selectors.sees_all(actor):
        return []
    if batch.state == BatchState.DRAFT:
        return selectors.left_out_of(selectors.dishonest_entries(batch, timezone.localdate()))
    return list(batch.left_out)


@router.post("/whitelist/batches", response={201: BatchOut, 404: ErrorOut})
def batch_create(request: HttpRequest, payload: BatchIn) -> Status[dict[str, Any]]:
    """A draft batch of the enterprises the rule selects now (scores snapshotted)."""
    rule = selectors.rule_get(actor=request.user, pk=payload.rule_id)
    batch = services.batch_create(actor=request.user, rule=rule, title=payload.title)
    return Status(201, _batch(request, batch.pk))


@router.get("/whitelist/batches", response=list[BatchSummaryOut])
def batch_list(request: HttpRequest, state: str | None = None) -> list[dict[str, Any]]:
    return [_summary(b) for b in selectors.batch_list(actor=request.user, state=state)[:LIST_LIMIT]]


@router.get("/whitelist/batches/{int:batch_id}", response=BatchOut)
def batch_detail(request: HttpRequest, batch_id: int) -> dict[str, Any]:
    return _batch(request, batch_id)


@router.post("/whitelist/batches/{int:batch_id}/publish", response=BatchOut)
def batch_publish(request: HttpRequest, batch_id: int) -> dict[str, Any]:
    batch = selectors.batch_get(actor=request.user, pk=batch_id)
    services.batch_publish(actor=request.user, batch=batch)
    return _batch(request, batch_id)


@router.post("/whitelist/batches/{int:batch_id}/push", response=PushResultOut)
def batch_push(request: HttpRequest, batch_id: int, payload: PushIn) -> dict[str, Any]:
    """Push a published batch to banks (each is notified; a bank pushed before is skipped)."""
    batch = selectors.batch_get(actor=request.user, pk=batch_id)
    new, already = services.batch_push(actor=request.user, batch=batch, bank_ids=payload.bank_ids)
    return {"pushed": [p.bank_id for p in new], "already_pushed": already}


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    return attachment(content, exports.XLSX_CONTENT_TYPE, filename)


@router.get("/whitelist/batches/{int:batch_id}/export.xlsx")
def batch_export(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The batch with its follow-ups as an Excel workbook (a bank: its own follow-ups)."""
    batch = selectors.batch_get(actor=request.user, pk=batch_id)
    return _xlsx(
        exports.batch_workbook(actor=request.user, batch=batch), f"whitelist-{batch.pk}.xlsx"
    )


# --- follow-ups ----------------------------------------------------------------------------------


@router.post("/whitelist/entries/{int:entry_id}/follow-ups", response={201: FollowUpOut})
def follow_up(request: HttpRequest, entry_id: int, payload: FollowUpIn) -> Status[dict[str, Any]]:
    """A bank's follow-up on one enterprise of a batch pushed to it (404 otherwise)."""
    entry = selectors.entry_get(actor=request.user, pk=entry_id)
    record = services.follow_up_record(actor=request.user, entry=entry, **payload.dict())
    return Status(201, _follow_up(record))


@router.get("/whitelist/entries/{int:entry_id}/follow-ups", response=list[FollowUpOut])
def follow_up_history(request: HttpRequest, entry_id: int) -> list[dict[str, Any]]:
    entry = selectors.entry_get(actor=request.user, pk=entry_id)
    return [_follow_up(f) for f in selectors.follow_up_history(actor=request.user, entry=entry)]


# --- recommendations -----------------------------------------------------------------------------


def _recommendation(r: Any) -> dict[str, Any]:
    return {
        "id": r.pk,
        "bank": _org(r.bank),
        "enterprise": _enterprise(r.enterprise),
        "reason": r.reason,
        "intended_amount": money_str_or_none(r.intended_amount),
        "state": r.state,
        "batch_id": r.batch_id,
        "decision_reason": r.decision_reason,
        "created_at": r.created_at,
        "decided_at": r.decided_at,
    }


@router.post("/whitelist/recommendations", response={201: RecommendationOut})
def recommend(request: HttpRequest, payload: RecommendationIn) -> Status[dict[str, Any]]:
    """A bank recommends an enterprise to the IP office."""
    created = services.recommendation_create(actor=request.user, **payload.dict())
    return Status(
        201, _recommendation(selectors.recommendation_get(actor=request.user, pk=created.pk))
    )


@router.get("/whitelist/recommendations", response=list[RecommendationOut])
def recommendation_list(request: HttpRequest, state: str | None = None) -> list[dict[str, Any]]:
    rows = selectors.recommendation_list(actor=request.user, state=state)[:LIST_LIMIT]
    return [_recommendation(r) for r in rows]


@router.get("/whitelist/recommendations/{int:rec_id}", response=RecommendationOut)
def recommendation_detail(request: HttpRequest, rec_id: int) -> dict[str, Any]:
    return _recommendation(selectors.recommendation_get(actor=request.user, pk=rec_id))


@router.post("/whitelist/recommendations/{int:rec_id}/decision", response=RecommendationOut)
def recommendation_decide(
    request: HttpRequest, rec_id: int, payload: RecommendationDecisionIn
) -> dict[str, Any]:
    """The office accepts (into a draft batch: `batch_id`) or declines (with `reason`)."""
    recommendation = selectors.recommendation_get(actor=request.user, pk=rec_id)
    batch = (
        selectors.batch_get(actor=request.user, pk=payload.batch_id)
        if payload.batch_id is not None
        else None
    )
    services.recommendation_decide(
        actor=request.user,
        recommendation=recommendation,
        decision=payload.decision,
        batch=batch,
        reason=payload.reason,
    )
    return _recommendation(selectors.recommendation_get(actor=request.user, pk=rec_id))


# --- figures -------------------------------------------------------------------------------------


def figure_row(row: dict[str, Any]) -> dict[str, Any]:
    rates = row["rates"]
    return {
        "batch_id": row.get("batch"),
        "batch_name": row.get("batch_name"),
        "bank_id": row.get("bank"),
        "bank_name": row.get("bank_name"),
        "pushed": row["pushed"],
        "contacted": row["contacted"],
        "credit_granted": row["credit_granted"],
        "credit_granted_amount": money_str(row["credit_granted_amount"]),
        "loan_disbursed": row["loan_disbursed"],
        "loan_disbursed_amount": money_str(row["loan_disbursed_amount"]),
        "declined": row["declined"],
        "contacted_rate": _rate(rates.contacted),
        "credit_granted_rate": _rate(rates.credit_granted),
        "loan_disbursed_rate": _rate(rates.loan_disbursed),
        "declined_rate": _rate(rates.declined),
    }


@router.get("/whitelist/figures", response=FiguresOut)
def figures(request: HttpRequest, batch_id: int | None = None) -> dict[str, Any]:
    """Conversion figures both ways: per batch, per bank, the total, and banks' recommendations."""
    actor = request.user
    if batch_id is not None:
        selectors.batch_get(actor=actor, pk=batch_id)  # 404 for a batch the actor may not see
    (total,) = selectors.conversion_figures(actor=actor, by=(), batch_id=batch_id)
    return {
        "total": figure_row(total),
        "by_batch": [
            figure_row(r)
            for r in selectors.conversion_figures(actor=actor, by=("batch",), batch_id=batch_id)
        ],
        "by_bank": [
            figure_row(r)
            for r in selectors.conversion_figures(actor=actor, by=("bank",), batch_id=batch_id)
        ],
        "recommendations": [
            {
                "bank_id": r["bank"],
                "bank_name": r["bank__name"],
                "received": r["received"],
                "accepted": r["accepted"],
                "declined": r["declined"],
                "open": r["open"],
            }
            for r in selectors.recommendation_figures(actor=actor)
        ],
    }


@router.get("/whitelist/figures/export.xlsx")
def figures_export(request: HttpRequest) -> HttpResponse:
    return _xlsx(exports.figures_workbook(actor=request.user), "whitelist-figures.xlsx")
