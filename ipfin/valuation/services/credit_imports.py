"""Import of credit data files (the IP office): 纳税信用等级 lists, 信用中国 records, court
judgments. Every row is checked (ipfin.valuation.domain.credit_files); a file with any problem is
refused with the report of every problem (422 `credit_file_invalid`) and nothing is stored. An
accepted file stores one record per row of an enterprise on the platform (the others are listed
as skipped), each with its file, source and date; a tax credit grade newer than the one the
scorecard has replaces it, with that record as its provenance."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.accounts.permissions import Perm, require
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, ValidationFailed, invalid
from ipfin.common.inputs import date_in
from ipfin.common.tables import TableLimits, read_table, upload_checked
from ipfin.common.uploads import upload_sha256
from ipfin.jobs.models import JobRun
from ipfin.jobs.services import job_request_run
from ipfin.valuation.domain.credit_files import CreditFileKind, CreditRow, parse_credit_file
from ipfin.valuation.models import CreditDataImport, CreditRecord, EnterpriseCreditProfile

CREDIT_FILES = TableLimits(5 * 1024 * 1024, 50_000, "信用数据文件", "credit data file")
# At most this many problems are reported: enough to fix a file, not a second copy of it.
MAX_PROBLEMS = 500


def _kind(raw: Any) -> CreditFileKind:
    try:
        return CreditFileKind(str(raw))
    except ValueError:
        raise invalid(
            "kind",
            "credit_kind_invalid",
            "数据类别应为 tax_grade（纳税信用等级）、public_credit（信用中国公示记录）或 "
            "court_judgment（裁判文书）。",
            "kind must be tax_grade, public_credit or court_judgment.",
        ) from None


def _source(raw: Any) -> str:
    text = (raw if isinstance(raw, str) else "").strip()
    if not text or len(text) > 200:
        raise invalid(
            "source",
            "credit_source_required",
            "请填写数据来源（如“国家税务总局广东省税务局 2025 年度纳税信用 A 级名单”），"
            "不超过 200 字。",
            "Name the data's source (at most 200 characters).",
        )
    return text


def _as_of(raw: Any, today: date) -> date:
    try:
        day = date_in(raw, "as_of")
    except ValidationFailed:  # said below, with what the data's date may be
        day = None
    if day is None or day > today:
        raise invalid(
            "as_of",
            "credit_as_of_invalid",
            f"数据日期应为不晚于今天（{today}）的 YYYY-MM-DD。",
            f"as_of must be YYYY-MM-DD, not after today ({today}).",
        )
    return day


def _apply_tax_grades(data_import: CreditDataImport, actor: User) -> list[dict[str, Any]]:
    """Each enterprise's latest grade in the file becomes the scorecard's when the scorecard's
    grade is not from an import (none, or entered by hand), or is from an earlier year, or from
    a file of the same year whose data is older (`as_of`; the same date: imported earlier) — a
    correction list of September beats the original list of April whichever was imported
    last, and a second correction back to the first grade is applied (each file keeps its own
    grade records: `credit_grade_once_per_file`). Answers the changes ({organisation, from,
    to}), one per enterprise. The profiles' versions move, so an edit made from the version
    before is refused as stale.

    Set-based (a file holds up to 50,000 rows): the missing profiles made by one insert, every
    profile of the file's enterprises locked (in one order: two imports of overlapping files
    queue, they do not deadlock), the ones to change read and changed by one UPDATE each."""
    records = CreditRecord.objects.filter(data_import=data_import)
    latest = records.filter(organisation_id=OuterRef("organisation_id")).order_by("-on", "-pk")
    organisations = records.values("organisation_id")
    EnterpriseCreditProfile.objects.bulk_create(
        [
            EnterpriseCreditProfile(organisation_id=org)
            for org in records.order_by("organisation_id")
            .values_list("organisation_id", flat=True)
            .distinct()
        ],
        batch_size=1000,
        ignore_conflicts=True,  # the enterprises that have a profile keep it
    )
    # Locked before the rule is read: a hand edit committed in between would otherwise make a
    # profile match at the UPDATE that the report did not list.
    profiles = EnterpriseCreditProfile.objects.filter(organisation_id__in=organisations)
    list(profiles.select_for_update().order_by("pk").values_list("pk", flat=True))
    behind = profiles.annotate(
        file_on=Subquery(latest.values("on")[:1]),
        file_record=Subquery(latest.values("pk")[:1]),
        file_grade=Subquery(latest.values("value")[:1]),
    ).filter(
        Q(tax_credit_grade_record__isnull=True)
        | Q(tax_credit_grade_record__on__lt=F("file_on"))
        | Q(
            tax_credit_grade_record__on=F("file_on"),
            tax_credit_grade_record__data_import__as_of__lt=data_import.as_of,
        )
        | Q(
            tax_credit_grade_record__on=F("file_on"),
            tax_credit_grade_record__data_import__as_of=data_import.as_of,
            tax_credit_grade_record__data_import_id__lt=data_import.pk,
        )
    )
    changes = [
        {"organisation": org, "from": before or None, "to": after}
        for org, before, after in behind.order_by("pk").values_list(
            "organisation_id", "tax_credit_grade", "file_grade"
        )
    ]
    # The same rows: every candidate is locked, none can have changed since.
    behind.update(
        tax_credit_grade=Subquery(latest.values("value")[:1]),
        tax_credit_grade_record_id=Subquery(latest.values("pk")[:1]),
        version=F("version") + 1,
        updated_at=timezone.now(),
        updated_by=actor,
    )
    return changes


def credit_file_import(
    *,
    actor: User,
    uploaded_file: UploadedFile[bytes],
    kind: Any,
    source: Any,
    as_of: Any,
    today: date | None = None,
) -> CreditDataImport:
    require(actor, Perm.CREDIT_IMPORT)
    day = today or timezone.localdate()
    file_kind, clean_source, clean_as_of = _kind(kind), _source(source), _as_of(as_of, day)
    filename, table = read_table(uploaded_file, CREDIT_FILES)
    sha = upload_sha256(uploaded_file)
    parsed = parse_credit_file(file_kind, table, today=day, as_of=clean_as_of)
    if parsed.problems:
        count = len(parsed.problems)
        raise ValidationFailed(
            f"文件有 {count} 处问题，未导入任何数据；请按报告逐行改正后重新导入。",
            f"The file has {count} problem{'s' if count != 1 else ''}: nothing was imported. "
            "Correct each row as the report says and import it again.",
            code="credit_file_invalid",
            extra={
                "problems": [
                    {
                        "row": p.row,
                        "column": p.column,
                        "code": p.code,
                        "message_zh": p.message_zh,
                        "message_en": p.message_en,
                    }
                    for p in parsed.problems[:MAX_PROBLEMS]
                ],
                "problems_total": len(parsed.problems),
            },
        )
    if not parsed.rows:
        raise invalid(None, "credit_file_empty", "文件没有数据行。", "The file has no data rows.")
    enterprises = dict(
        Organisation.objects.filter(
            kind=OrganisationKind.ENTERPRISE, uscc__in={r.uscc for r in parsed.rows}
        ).values_list("uscc", "pk")
    )
    # Inserted in the order of the records' unique key: two imports of overlapping files then
    # wait on each other's conflicting rows in one order, never each on the other's (deadlock).
    kept: list[CreditRow] = sorted(
        (r for r in parsed.rows if r.uscc in enterprises),
        key=lambda r: (enterprises[r.uscc], r.on, r.value, r.reference, r.detail),
    )
    skipped = [
        {"row": r.row, "uscc": r.uscc, "name": r.name}
        for r in parsed.rows
        if r.uscc not in enterprises
    ]
    try:
        with transaction.atomic():
            data_import = CreditDataImport.objects.create(
                kind=file_kind.value,
                source=clean_source,
                as_of=clean_as_of,
                filename=filename,
                sha256=sha,
                rows_total=len(parsed.rows),
                imported_by=actor,
                skipped=skipped,
                rows_skipped=len(skipped),
            )
            CreditRecord.objects.bulk_create(
                [
                    CreditRecord(
                        organisation_id=enterprises[r.uscc],
                        data_import=data_import,
                        kind=file_kind.value,
                        value=r.value,
                        on=r.on,
                        reference=r.reference,
                        detail=r.detail,
                    )
                    for r in kept
                ],
                batch_size=1000,
                # A record already imported from another file (a grade: from this one, its own
                # duplicate rows), stored once.
                ignore_conflicts=True,
            )
            stored = CreditRecord.objects.filter(data_import=data_import).count()
            grades = (
                _apply_tax_grades(data_import, actor)
                if file_kind is CreditFileKind.TAX_GRADE
                else []
            )
            data_import.rows_applied = stored
            data_import.save(update_fields=["rows_applied"])
            audit_record(
                actor=actor,
                action="valuation.credit_import",
                obj=data_import,
                after={
                    "kind": file_kind.value,
                    "source": clean_source,
                    "as_of": clean_as_of.isoformat(),
                    "filename": filename,
                    "sha256": sha,
                    "rows": len(parsed.rows),
                    "stored": stored,
                    "already_known": len(kept) - stored,
                    "skipped": len(skipped),
                    "grades_applied": len(grades),
                    "grades": grades[:1000],
                },
            )
    except IntegrityError:
        raise Conflict(
            "该文件已导入过（内容相同）。",
            "This file was imported already (same content).",
            code="credit_file_duplicate",
        ) from None
    return data_import


# The background job that imports a file sent by credit_file_import_request (ipfin.valuation.jobs).
CREDIT_IMPORT_JOB = "credit_import"


def credit_file_import_request(
    *,
    actor: User,
    uploaded_file: UploadedFile[bytes],
    kind: Any,
    source: Any,
    as_of: Any,
    today: date | None = None,
) -> JobRun:
    """credit_file_import as a background run (a file of 50,000 rows takes seconds): the form's
    fields and the file's size and type are checked now (422, nothing queued); the rows are read
    and checked by the run, whose result is the import's report or, for a file with problems,
    the problems (nothing stored). One import of the office's at a time (409 `job_running`)."""
    require(actor, Perm.CREDIT_IMPORT)
    day = today or timezone.localdate()
    file_kind, clean_source, clean_as_of = _kind(kind), _source(source), _as_of(as_of, day)
    upload_checked(uploaded_file, CREDIT_FILES)
    return job_request_run(
        actor=actor,
        name=CREDIT_IMPORT_JOB,
        scope=f"org:{actor.organisation_id}",
        params={
            "kind": file_kind.value,
            "source": clean_source,
            "as_of": clean_as_of.isoformat(),
            "today": day.isoformat(),  # the run checks the file's dates against the same day
        },
        uploaded_file=uploaded_file,
    )
