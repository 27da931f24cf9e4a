"""Writes of the white list: imports, rules, batches (create, publish, push), banks' follow-ups and
recommendations, the office's decisions on them.

Each service checks the permission, validates, saves in one transaction, appends the audit record
("whitelist.<action>") and notifies the other party in-app. A refused action changes nothing.
Another tenant's batch or entry is a 404 (the selectors decide what an actor may see).

Re-importing a list kind versions it (see ipfin.whitelist.models): the new import is the current
list of its kind and earlier imports stay, with their reports; screening reads current lists only.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from ipfin.accounts.domain import UsccError, validate_uscc
from ipfin.accounts.inputs import clean_uscc
from ipfin.accounts.models import EnterpriseSize, Organisation, OrganisationKind, User
from ipfin.accounts.permissions import Perm, acting_organisation, require
from ipfin.accounts.selectors import ip_office_ids
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.display import yuan_en, yuan_exact
from ipfin.common.errors import Conflict, invalid
from ipfin.common.inputs import amount_in
from ipfin.common.money import money_str
from ipfin.common.tables import FileTooLarge, TableLimits, read_table, upload_checked
from ipfin.jobs.models import JobRun
from ipfin.jobs.services import job_request_run
from ipfin.valuation.domain.credit import CreditScore
from ipfin.valuation.selectors import credit_scores_bulk, dishonesty_on
from ipfin.whitelist import selectors
from ipfin.whitelist.domain import (
    EnterpriseRef,
    ImportFormatError,
    RowMatch,
    detect_header,
    extract_rows,
    match_rows,
    normalise_name,
)
from ipfin.whitelist.models import (
    AMOUNT_STATUSES,
    BankRecommendation,
    BatchState,
    EntrySource,
    FollowUpStatus,
    ImportedList,
    ImportedListEntry,
    ListKind,
    RecommendationState,
    ScreeningRule,
    WhitelistBatch,
    WhitelistEntry,
    WhitelistFollowUp,
    WhitelistPush,
)

__all__ = [
    "MAX_IMPORT_BYTES",
    "MAX_IMPORT_ROWS",
    "FileTooLarge",
    "batch_create",
    "batch_publish",
    "batch_push",
    "follow_up_record",
    "list_import",
    "recommendation_create",
    "recommendation_decide",
    "rule_create",
]

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 50_000
_IN_CHUNK = 2_000  # values per IN (...) list: far below SQLite's and PostgreSQL's limits
MAX_CRITERIA_VALUES = 100


# 白名单 imports: a list of enterprises as CSV or Excel (ipfin.common.tables).
_LIST_FILES = TableLimits(MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, "名单", "list")


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(set(values))
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]


def _clean_text(raw: str | None, *, field: str, max_length: int, required: bool) -> str:
    text = (raw or "").strip()
    if required and not text:
        raise invalid(
            None, f"{field}_required", f"请填写{_FIELD_ZH[field]}。", f"{field} is required."
        )
    if len(text) > max_length:
        raise invalid(
            None,
            f"{field}_too_long",
            f"{_FIELD_ZH[field]}不能超过 {max_length} 个字符。",
            f"{field} may have at most {max_length} characters.",
        )
    return text


_FIELD_ZH = {
    "name": "名称",
    "title": "批次名称",
    "reason": "原因",
    "note": "备注",
}


# --- import --------------------------------------------------------------------------------------


def _lookups(
    matches_in: Sequence[Any],
) -> tuple[dict[str, EnterpriseRef], dict[str, list[EnterpriseRef]]]:
    """The organisations the rows may name: by canonical code, enterprises by normalised name
    (`normalise_name`: every enterprise whose name normalises as a row's does, so that one stored
    in another case, with full-width letters or inner spaces is found, and two such are seen as
    ambiguous)."""
    codes: set[str] = set()
    names: set[str] = set()
    for row in matches_in:
        if row.uscc:
            with contextlib.suppress(UsccError):
                codes.add(validate_uscc(row.uscc))
        elif row.name:
            names.add(normalise_name(row.name))
    by_uscc: dict[str, EnterpriseRef] = {}
    for chunk in _chunks(codes):
        for pk, name, uscc, kind in Organisation.objects.filter(uscc__in=chunk).values_list(
            "pk", "name", "uscc", "kind"
        ):
            assert uscc is not None  # matched by uscc__in, so never NULL
            by_uscc[uscc] = EnterpriseRef(pk, name, uscc, kind == OrganisationKind.ENTERPRISE)
    by_name: dict[str, list[EnterpriseRef]] = defaultdict(list)
    if names:
        # NFKC is no function of either database: the enterprises' names are read and normalised
        # here, streamed (a list names a few hundred of a register's enterprises; an import is
        # the office's, a few a year per kind).
        enterprises = Organisation.objects.filter(kind=OrganisationKind.ENTERPRISE)
        for pk, name, uscc in enterprises.values_list("pk", "name", "uscc").iterator(5000):
            key = normalise_name(name)
            if key in names:
                by_name[key].append(EnterpriseRef(pk, name, uscc or ""))
    return by_uscc, by_name


def _valid_kind(kind: str) -> str:
    if kind not in ListKind.values:
        raise invalid(
            None,
            "list_kind_invalid",
            f"未知的名单类型“{kind}”。",
            f"Unknown list kind {kind!r}.",
            allowed=list(ListKind.values),
        )
    return kind


def list_import(
    *, actor: User, uploaded_file: UploadedFile[bytes], kind: str, name: str = ""
) -> ImportedList:
    """Import a list (CSV or .xlsx): every data row is stored with its match or the reason it did
    not match; the import becomes the current list of its kind (earlier ones stay, not current).
    A file that cannot be read as a list (type, size, no header) is refused and nothing changes."""
    require(actor, Perm.WHITELIST_MANAGE)
    kind = _valid_kind(kind)
    title = _clean_text(name, field="name", max_length=200, required=False) or str(
        ListKind(kind).label
    )
    filename, sheet = read_table(uploaded_file, _LIST_FILES)
    try:
        header = detect_header(sheet)
    except ImportFormatError as exc:
        raise invalid(None, exc.code, exc.message_zh, exc.message_en) from exc
    raw_rows = extract_rows(sheet, header)
    if not raw_rows:
        raise invalid(None, "list_empty", "名单没有数据行。", "The list has no data rows.")
    by_uscc, by_name = _lookups(raw_rows)
    matches = match_rows(raw_rows, by_uscc, by_name)
    matched = sum(1 for m in matches if m.matched)
    with transaction.atomic():
        # Lock the kind's rows so that two imports of one kind take consecutive versions.
        list(ImportedList.objects.select_for_update().filter(kind=kind).values_list("pk"))
        version = (ImportedList.objects.filter(kind=kind).aggregate(v=Max("version"))["v"] or 0) + 1
        ImportedList.objects.filter(kind=kind, is_current=True).update(is_current=False)
        try:
            with transaction.atomic():
                imported = ImportedList.objects.create(
                    name=title,
                    kind=kind,
                    version=version,
                    is_current=True,
                    filename=filename,
                    rows_total=len(matches),
                    rows_matched=matched,
                    imported_by=actor,
                )
        except IntegrityError:
            raise Conflict(
                "同类名单正在导入，请稍后重试。",
                "A list of this kind is being imported; please try again.",
                code="import_in_progress",
            ) from None
        ImportedListEntry.objects.bulk_create(
            [_entry(imported, m) for m in matches], batch_size=1000
        )
        audit_record(
            actor=actor,
            action="whitelist.list_import",
            obj=imported,
            after={
                "kind": kind,
                "version": version,
                "filename": filename,
                "rows_total": len(matches),
                "rows_matched": matched,
            },
        )
    return imported


# The background job that imports a list sent by list_import_request (ipfin.whitelist.jobs).
LIST_IMPORT_JOB = "whitelist_import"


def list_import_request(
    *, actor: User, uploaded_file: UploadedFile[bytes], kind: str, name: str = ""
) -> JobRun:
    """list_import as a background run (a list of 50,000 rows takes seconds): the kind, the name
    and the file's size and type are checked now (422, nothing queued); the run reads the rows
    and its result names the import (its report is the import's page), or the refusal. One
    import of the office's at a time (409 `job_running`)."""
    require(actor, Perm.WHITELIST_MANAGE)
    kind = _valid_kind(kind)
    _clean_text(name, field="name", max_length=200, required=False)
    upload_checked(uploaded_file, _LIST_FILES)
    return job_request_run(
        actor=actor,
        name=LIST_IMPORT_JOB,
        scope=f"org:{actor.organisation_id}",
        params={"kind": kind, "name": name},
        uploaded_file=uploaded_file,
    )


def _entry(imported: ImportedList, match: RowMatch) -> ImportedListEntry:
    return ImportedListEntry(
        imported_list=imported,
        row_no=match.row.row_no,
        uscc=match.uscc[:40],
        name=match.row.name[:300],
        organisation_id=match.enterprise_id,
        matched=match.matched,
        matched_by=match.matched_by,
        reason=match.reason.value if match.reason is not None else "",
        detail_zh=match.detail_zh[:500],
        detail_en=match.detail_en[:500],
    )


# --- rules ---------------------------------------------------------------------------------------


def _text_list(values: Sequence[str] | None, *, field: str, max_length: int = 100) -> list[str]:
    items = list(dict.fromkeys(v.strip() for v in values or () if isinstance(v, str) and v.strip()))
    if len(items) > MAX_CRITERIA_VALUES or any(len(v) > max_length for v in items):
        raise invalid(
            field,
            f"{field}_invalid",
            f"{field} 最多 {MAX_CRITERIA_VALUES} 项，每项不超过 {max_length} 个字符。",
            f"{field}: at most {MAX_CRITERIA_VALUES} values of at most {max_length} characters.",
        )
    return items


def _choice_list(values: Sequence[str] | None, *, field: str, allowed: Sequence[str]) -> list[str]:
    items = _text_list(values, field=field)
    unknown = [v for v in items if v not in allowed]
    if unknown:
        raise invalid(
            field,
            f"{field}_invalid",
            f"{field} 含未知取值：{'、'.join(unknown)}。",
            f"{field} has unknown values: {', '.join(unknown)}.",
            allowed=list(allowed),
        )
    return items


def rule_create(
    *,
    actor: User,
    name: str,
    min_credit_score: int | None = None,
    industries: Sequence[str] | None = None,
    park_ids: Sequence[int] | None = None,
    regions: Sequence[str] | None = None,
    sizes: Sequence[str] | None = None,
    required_list_kinds: Sequence[str] | None = None,
) -> ScreeningRule:
    require(actor, Perm.WHITELIST_MANAGE)
    title = _clean_text(name, field="name", max_length=200, required=True)
    if min_credit_score is not None and not 0 <= min_credit_score <= 100:
        raise invalid(
            "min_credit_score",
            "min_credit_score_invalid",
            "最低评分应在 0 到 100 之间。",
            "min_credit_score must be from 0 to 100.",
        )
    parks = sorted(set(park_ids or ()))
    if parks:
        known = set(
            Organisation.objects.filter(pk__in=parks, kind=OrganisationKind.PARK).values_list(
                "pk", flat=True
            )
        )
        unknown = [p for p in parks if p not in known]
        if unknown:
            raise invalid(
                "park_ids", "park_unknown", f"未知的园区：{unknown}。", f"Unknown parks: {unknown}."
            )
    rule = ScreeningRule.objects.create(
        owner=acting_organisation(actor),
        name=title,
        min_credit_score=min_credit_score,
        industries=_text_list(industries, field="industries"),
        park_ids=parks,
        regions=_text_list(regions, field="regions"),
        sizes=_choice_list(sizes, field="sizes", allowed=EnterpriseSize.values),
        required_list_kinds=_choice_list(
            required_list_kinds, field="required_list_kinds", allowed=ListKind.values
        ),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="whitelist.rule_create",
        obj=rule,
        after={"name": title, **selectors.criteria_of(rule).as_dict()},
    )
    return rule


# --- batches -------------------------------------------------------------------------------------


def _snapshot(rule: ScreeningRule, on: date) -> dict[str, Any]:
    """The criteria, and which version of each required list they read."""
    criteria = selectors.criteria_of(rule)
    lists = {
        kind: {"id": pk, "version": version, "name": list_name}
        for pk, kind, version, list_name in ImportedList.objects.filter(
            is_current=True, kind__in=criteria.required_list_kinds
        ).values_list("pk", "kind", "version", "name")
    }
    return {
        "rule_id": rule.pk,
        "rule_name": rule.name,
        **criteria.as_dict(),
        "lists": lists,
        "scored_on": on.isoformat(),
    }


def _score_fields(score: CreditScore | None) -> dict[str, Any]:
    return {
        "credit_score": score.total if score is not None else None,
        "credit_grade": score.grade if score is not None else "",
    }


def batch_create(
    *, actor: User, rule: ScreeningRule, title: str = "", on: date | None = None
) -> WhitelistBatch:
    """A draft batch: the enterprises the rule selects today, with their scores (a snapshot)."""
    require(actor, Perm.WHITELIST_MANAGE)
    day = on or timezone.localdate()
    text = _clean_text(title, field="title", max_length=200, required=False) or (
        f"{rule.name} {day.isoformat()}"
    )
    selected = selectors.screening_selected(selectors.criteria_of(rule), day)
    with transaction.atomic():
        batch = WhitelistBatch.objects.create(
            rule=rule,
            title=text,
            state=BatchState.DRAFT,
            criteria=_snapshot(rule, day),
            scored_on=day,
            created_by=actor,
        )
        WhitelistEntry.objects.bulk_create(
            [
                WhitelistEntry(
                    batch=batch,
                    enterprise=s.organisation,
                    source=EntrySource.SCREENING,
                    reasons=[r.as_dict() for r in s.verdict.met],
                    **_score_fields(s.score),
                )
                for s in selected
            ]
        )
        audit_record(
            actor=actor,
            action="whitelist.batch_create",
            obj=batch,
            after={"rule_id": rule.pk, "title": text, "entries": len(selected)},
        )
    return batch


def _lock_batch(batch: WhitelistBatch) -> WhitelistBatch:
    return WhitelistBatch.objects.select_for_update().get(pk=batch.pk)


def _recommendations_left_out(
    actor: User, batch: WhitelistBatch, record_of: dict[int, date]
) -> None:
    """The banks whose recommendations the office had taken into `batch` learn that its
    publication left them out (`record_of`: each such enterprise's 失信 record day): the
    recommendation reads 未采纳 with the reason (it had still read 已纳入批次), audited."""
    for recommendation in (
        BankRecommendation.objects.select_for_update()
        .filter(
            batch=batch,
            state=RecommendationState.ACCEPTED,
            enterprise_id__in=list(record_of),
        )
        .select_related("enterprise")
    ):
        name = recommendation.enterprise.name
        recommendation.state = RecommendationState.DECLINED
        recommendation.decision_reason = (
            f"发布时因信用中国的失信记录（{record_of[recommendation.enterprise_id]}）移出批次"
        )
        recommendation.save(update_fields=["state", "decision_reason"])
        audit_record(
            actor=actor,
            action="whitelist.recommendation_left_out",
            obj=recommendation,
            before={"state": RecommendationState.ACCEPTED},
            after={
                "state": recommendation.state,
                "batch_id": batch.pk,
                "reason": recommendation.decision_reason,
            },
        )
        notify_orgs(
            [recommendation.bank_id],
            recommendation,
            "whitelist.recommendation_left_out",
            f"您推荐的企业 {name} 因信用中国的失信记录，未随白名单批次“{batch.title}”发布。",
            f"{name}, which you recommended, was left out of white-list batch "
            f"“{batch.title}” at its publication: 信用中国 lists a dishonesty record.",
        )


def batch_publish(*, actor: User, batch: WhitelistBatch) -> WhitelistBatch:
    """Publish a draft batch. An enterprise with a 失信被执行人 / 严重失信主体 record of the last
    two years on the day of publication is left out of it (一票否决, as the screening and the
    office's acceptance of a bank's recommendation apply it): the batch may have been drawn up
    before the record was imported. Those left out are kept on the batch (`left_out`) and in the
    audit record; a batch they would leave empty is not published (422 `batch_empty`)."""
    require(actor, Perm.WHITELIST_MANAGE)
    day = timezone.localdate()
    with transaction.atomic():
        locked = _lock_batch(batch)
        if locked.state != BatchState.DRAFT:
            raise Conflict(
                "该批次已发布。", "The batch is already published.", code="batch_published"
            )
        dishonest = selectors.dishonest_entries(locked, day)
        count = locked.entries.count() - len(dishonest)
        if count == 0 and dishonest:
            raise invalid(
                None,
                "batch_empty",
                "批次中的企业均有失信记录，发布时将全部移出，不能发布。",
                "Every enterprise of the batch has a dishonesty record and would be left out: "
                "the batch cannot be published.",
            )
        if count == 0:
            raise invalid(
                None,
                "batch_empty",
                "批次中没有企业，不能发布。",
                "An empty batch cannot be published.",
            )
        left_out = selectors.left_out_of(dishonest)
        WhitelistEntry.objects.filter(pk__in=[entry.pk for entry, _ in dishonest]).delete()
        locked.state = BatchState.PUBLISHED
        locked.published_at = timezone.now()
        locked.published_by = actor
        locked.left_out = left_out
        locked.save(update_fields=["state", "published_at", "published_by", "left_out"])
        audit_record(
            actor=actor,
            action="whitelist.batch_publish",
            obj=locked,
            before={"state": BatchState.DRAFT},
            after={"state": BatchState.PUBLISHED, "entries": count, "left_out": left_out},
        )
        _recommendations_left_out(
            actor, locked, {entry.enterprise_id: on for entry, on in dishonest}
        )
    return locked


def batch_push(
    *, actor: User, batch: WhitelistBatch, bank_ids: Sequence[int]
) -> tuple[list[WhitelistPush], list[int]]:
    """Push a published batch to banks: (new pushes, ids of banks it had already gone to)."""
    require(actor, Perm.WHITELIST_MANAGE)
    wanted = sorted(set(bank_ids))
    if not wanted:
        raise invalid(None, "banks_required", "请选择至少一家银行。", "Choose at least one bank.")
    banks = {
        b.pk: b for b in Organisation.objects.filter(pk__in=wanted, kind=OrganisationKind.BANK)
    }
    unknown = [pk for pk in wanted if pk not in banks]
    if unknown:
        raise invalid(
            None,
            "bank_unknown",
            f"以下机构不是平台上的银行：{unknown}。",
            f"These are not banks on the platform: {unknown}.",
            bank_ids=unknown,
        )
    with transaction.atomic():
        locked = _lock_batch(batch)
        if locked.state != BatchState.PUBLISHED:
            raise Conflict(
                "批次发布后才能推送。",
                "A batch is pushed only once published.",
                code="batch_not_published",
            )
        already = set(
            WhitelistPush.objects.filter(batch=locked, bank_id__in=wanted).values_list(
                "bank_id", flat=True
            )
        )
        new = [
            WhitelistPush(batch=locked, bank=banks[pk], pushed_by=actor)
            for pk in wanted
            if pk not in already
        ]
        for push in new:
            push.save()
        count = locked.entries.count()
        audit_record(
            actor=actor,
            action="whitelist.batch_push",
            obj=locked,
            after={"banks": [p.bank_id for p in new], "already": sorted(already)},
        )
        for push in new:
            notify_orgs(
                [push.bank_id],
                locked,
                "whitelist.push",
                f"知识产权局向您推送了白名单“{locked.title}”（{count} 家企业），请跟进对接。",
                f"The IP office pushed you the white list “{locked.title}” ({count} enterprises) "
                "to follow up.",
            )
    return new, sorted(already)


# --- follow-ups ----------------------------------------------------------------------------------


def follow_up_record(
    *,
    actor: User,
    entry: WhitelistEntry,
    status: str,
    amount: Decimal | str | int | None = None,
    reason: str = "",
    note: str = "",
) -> WhitelistFollowUp:
    """A bank's follow-up on one enterprise of a batch pushed to it. Credit granted and loan
    disbursed need the amount; a decline needs the reason. Rows are history: the latest counts."""
    require(actor, Perm.WHITELIST_FOLLOW_UP)
    entry = selectors.entry_get(actor=actor, pk=entry.pk)  # 404 unless pushed to this bank
    if status not in FollowUpStatus.values:
        raise invalid(
            None,
            "status_invalid",
            f"未知的跟进状态“{status}”。",
            f"Unknown follow-up status {status!r}.",
            allowed=list(FollowUpStatus.values),
        )
    if status in AMOUNT_STATUSES:
        clean_amount: Decimal | None = amount_in(amount, "amount")
    else:
        if amount not in (None, ""):
            raise invalid(
                "amount",
                "amount_not_allowed",
                "只有“已授信”和“已放款”需要填写金额。",
                "Only credit granted and loan disbursed carry an amount.",
            )
        clean_amount = None
    reason_text = _clean_text(
        reason, field="reason", max_length=500, required=status == FollowUpStatus.DECLINED
    )
    note_text = _clean_text(note, field="note", max_length=500, required=False)
    with transaction.atomic():
        follow_up = WhitelistFollowUp.objects.create(
            entry=entry,
            bank=acting_organisation(actor),
            status=status,
            amount=clean_amount,
            reason=reason_text,
            note=note_text,
            recorded_by=actor,
        )
        audit_record(
            actor=actor,
            action="whitelist.follow_up",
            obj=follow_up,
            after={
                "batch_id": entry.batch_id,
                "enterprise_id": entry.enterprise_id,
                "status": status,
                "amount": money_str(clean_amount) if clean_amount is not None else None,
                "reason": reason_text,
            },
        )
        if status in AMOUNT_STATUSES:
            label_zh = dict(FollowUpStatus.choices)[status]
            notify_orgs(
                ip_office_ids(),
                entry.batch,
                "whitelist.follow_up",
                f"{acting_organisation(actor)} 对白名单企业 {entry.enterprise.name} {label_zh}，"
                f"金额 {yuan_exact(clean_amount or Decimal(0))}。",
                f"{acting_organisation(actor)} recorded {status.replace('_', ' ')} for "
                f"{entry.enterprise.name}: {yuan_en(clean_amount or Decimal(0))}.",
            )
    return follow_up


# --- recommendations -----------------------------------------------------------------------------


def recommendation_create(
    *,
    actor: User,
    enterprise_uscc: str,
    reason: str,
    intended_amount: Decimal | str | int | None = None,
) -> BankRecommendation:
    """A bank recommends an enterprise to the office for the white list."""
    require(actor, Perm.WHITELIST_FOLLOW_UP)
    code = clean_uscc(enterprise_uscc)
    enterprise = Organisation.objects.filter(uscc=code, kind=OrganisationKind.ENTERPRISE).first()
    if enterprise is None:
        raise invalid(
            "enterprise_uscc",
            "enterprise_unknown",
            f"平台上没有统一社会信用代码为 {code} 的企业。",
            f"No enterprise with credit code {code} is on the platform.",
        )
    reason_text = _clean_text(reason, field="reason", max_length=1000, required=True)
    amount = (
        amount_in(intended_amount, "intended_amount") if intended_amount not in (None, "") else None
    )
    try:
        with transaction.atomic():
            recommendation = BankRecommendation.objects.create(
                bank=acting_organisation(actor),
                enterprise=enterprise,
                reason=reason_text,
                intended_amount=amount,
                created_by=actor,
            )
            audit_record(
                actor=actor,
                action="whitelist.recommend",
                obj=recommendation,
                after={
                    "enterprise_id": enterprise.pk,
                    "reason": reason_text,
                    "intended_amount": money_str(amount) if amount is not None else None,
                },
            )
            notify_orgs(
                ip_office_ids(),
                recommendation,
                "whitelist.recommend",
                f"{recommendation.bank.name} 推荐企业 {enterprise.name} 进入白名单：{reason_text}",
                f"{recommendation.bank.name} recommends {enterprise.name} for the white list: "
                f"{reason_text}",
            )
    except IntegrityError:
        raise Conflict(
            "您对该企业的推荐尚在处理中。",
            "Your recommendation of this enterprise is still open.",
            code="recommendation_open",
        ) from None
    return recommendation


def recommendation_decide(
    *,
    actor: User,
    recommendation: BankRecommendation,
    decision: str,
    batch: WhitelistBatch | None = None,
    reason: str = "",
    on: date | None = None,
) -> BankRecommendation:
    """The office takes a recommended enterprise into a draft batch (with its score as of today,
    or none when it has no credit profile) or declines it with a reason."""
    require(actor, Perm.WHITELIST_MANAGE)
    if decision not in ("accept", "decline"):
        raise invalid(
            None,
            "decision_invalid",
            "处理决定应为 accept 或 decline。",
            "decision: accept or decline.",
        )
    reason_text = _clean_text(
        reason, field="reason", max_length=1000, required=decision == "decline"
    )
    day = on or timezone.localdate()
    with transaction.atomic():
        locked = BankRecommendation.objects.select_for_update().get(pk=recommendation.pk)
        if locked.state != RecommendationState.RECEIVED:
            raise Conflict(
                "该推荐已处理。", "The recommendation was already decided.", code="already_decided"
            )
        if decision == "accept":
            if batch is None:
                raise invalid(
                    None, "batch_required", "请选择纳入的批次。", "Choose the batch to add it to."
                )
            target = _lock_batch(batch)
            if target.state != BatchState.DRAFT:
                raise Conflict(
                    "只能纳入草稿批次。",
                    "Only a draft batch can take an enterprise.",
                    code="batch_not_draft",
                )
            enterprise = locked.enterprise
            # 一票否决, as the screening applies it: a bank's word does not lift a 失信 record.
            dishonest = dishonesty_on([enterprise.pk], day).get(enterprise.pk)
            if dishonest is not None:
                raise Conflict(
                    f"信用中国记载该企业为失信被执行人或严重失信主体（{dishonest}），不能纳入白名单。",
                    f"信用中国 lists the enterprise as a dishonest judgment debtor or seriously "
                    f"dishonest entity ({dishonest}): it cannot be on a white list.",
                    code="enterprise_dishonest",
                    extra={"dishonesty_on": dishonest.isoformat()},
                )
            scored = credit_scores_bulk([enterprise], on=day).get(enterprise.pk)
            score = scored if isinstance(scored, CreditScore) else None
            WhitelistEntry.objects.get_or_create(
                batch=target,
                enterprise=enterprise,
                defaults={
                    "source": EntrySource.RECOMMENDATION,
                    "reasons": [
                        {
                            "code": "recommended",
                            "zh": f"{locked.bank.name} 推荐：{locked.reason}",
                            "en": f"recommended by {locked.bank.name}: {locked.reason}",
                        }
                    ],
                    **_score_fields(score),
                },
            )
            locked.state = RecommendationState.ACCEPTED
            locked.batch = target
            zh = f"您推荐的企业 {enterprise.name} 已纳入白名单批次“{target.title}”。"
            en = (
                f"{enterprise.name}, which you recommended, is in white-list batch "
                f"“{target.title}”."
            )
        else:
            locked.state = RecommendationState.DECLINED
            zh = f"您推荐的企业 {locked.enterprise.name} 未被采纳：{reason_text}"
            en = f"Your recommendation of {locked.enterprise.name} was declined: {reason_text}"
        locked.decision_reason = reason_text
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action=f"whitelist.recommendation_{decision}",
            obj=locked,
            before={"state": RecommendationState.RECEIVED},
            after={"state": locked.state, "batch_id": locked.batch_id, "reason": reason_text},
        )
        notify_orgs([locked.bank_id], locked, f"whitelist.recommendation_{decision}", zh, en)
    return locked
