"""The valuation pages: a calculator per right (live preview over HTMX, save as a draft; the
market approach's comparables loaded from the register on request), the valuation's page (inputs,
calculation, contribution chart with optional expert assessments, P10–P90 range, issue and
recheck), its PDF report, and the list of the valuations the user may see.

Views stay thin: parse the form → one call of ipfin.valuation.services / selectors → render. An
engine error (`ValuationInputError`) is shown next to the field it names; any other DomainError
becomes the page's message with its status (see ipfin.web.views.domain_errors).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ipfin.accounts.permissions import Perm, has_perm
from ipfin.common.errors import DomainError
from ipfin.registry import selectors as registry_selectors
from ipfin.registry.forms import right_number_or_none
from ipfin.valuation import presentation
from ipfin.valuation import report as valuation_report
from ipfin.valuation import selectors as valuation_selectors
from ipfin.valuation import services as valuation_services
from ipfin.valuation.charts import contribution_bars, range_bar, svg_bar_rows
from ipfin.valuation.forms import (
    CreditImportForm,
    ExpertScoreForm,
    IssueForm,
    RecheckForm,
    SealUploadForm,
    ValuationForm,
    comparables_text,
)
from ipfin.valuation.services.agency import agency_seal_upload
from ipfin.valuation.services.valuations import bank_reference_values
from ipfin.web.views import action_refusal, domain_errors, error_404, queue_run_action, run_action

LIST_LIMIT = 100
CHART_WIDTH = 720


def _language() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


def _can_write(user: Any) -> bool:
    return has_perm(user, Perm.VALUATION_WRITE)


# --- the calculator ------------------------------------------------------------------------------


def _show_error(form: ValuationForm, exc: DomainError) -> str:
    """Put `exc` next to the field it names; returns it as text when it names none."""
    message = action_refusal(exc)[1]
    return "" if form.add_refusal(exc, message) else message


def _preview(form: ValuationForm, right: Any) -> tuple[dict[str, Any] | None, str, int]:
    """The engine's result for the form's inputs on the calculator's right, under the rules of
    saving it (`valuation_preview` with the right: the income period within its remaining legal
    term, its warnings), or why there is none: (result, error text for the result block,
    status). Field errors go onto the form (400 shape, 422 engine)."""
    if not form.is_valid():
        return None, "", 400
    data = {**form.payload(), "rights": [right.number]}
    try:
        return valuation_services.valuation_preview(data=data), "", 200
    except DomainError as exc:
        return None, _show_error(form, exc), exc.status


def _result_context(method: str, result: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """What the result block shows, shared by the preview and the valuation's page."""
    mc = result.get("monte_carlo")
    value = result.get("value")
    return {
        "value": value,
        "value_text": presentation.value_text(value),
        "method_label": presentation.method_name(method),
        "formula": presentation.method_formula(method),
        "table": presentation.calculation_table(method, result, inputs),
        "monte_carlo": mc if isinstance(mc, dict) else None,
        # The preview's warnings ({code, right, message}); a saved valuation's come from the
        # register on its valuation date (`_detail_context`).
        "warnings": result.get("warnings") or [],
        "range": (
            range_bar(mc["p10"], mc["p50"], mc["p90"], value)
            if isinstance(mc, dict) and all(mc.get(k) is not None for k in ("p10", "p50", "p90"))
            else None
        ),
    }


def _calculator_context(
    request: HttpRequest, right: Any, form: ValuationForm, result: dict[str, Any] | None, error: str
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "right": right,
        "form": form,
        "result": None,
        "preview_error": error,
        "can_save": _can_write(request.user),
    }
    if result is not None:
        context["result"] = _result_context(form.chosen_method, result, form.payload())
    if form.is_bound:
        errors = form.errors.as_data()
        context["missing"] = [
            form[name].label
            for name, errs in errors.items()
            if name in form.fields and any(e.code == "required" for e in errs)
        ]
    return context


_INITIAL = {
    "method": "income",
    "share_decay": "0",
    "tax_rate": "25",
    "discount_rate": "12",
    "share_rate": "25",
    "price_index": "1",
    "obsolescence": "0",
}


def _comparable_label(item: dict[str, Any]) -> str:
    """What a register comparable is, in the page's language: "转让 2024-03-01 2019…"."""
    event = item["event"]
    if event["type"] == "licence":
        kinds = {"exclusive": _("独占许可"), "sole": _("排他许可"), "ordinary": _("普通许可")}
        what = kinds.get(str(event["licence_type"]), _("许可"))
    else:
        what = _("转让")
    return f"{what} {event['date'].isoformat()} {item['number']}"


def _register_comparables(right: Any) -> tuple[list[dict[str, Any]], str]:
    """The register's comparables for `right` as of today (each with its `label` in the page's
    language), or why there are none to load (a refusal of the selector, as text)."""
    try:
        found = valuation_selectors.market_comparables(right=right, on=timezone.localdate())
    except DomainError as exc:
        return [], action_refusal(exc)[1]
    return [{**item, "label": _comparable_label(item)} for item in found], ""


def _calculator_with_comparables(request: HttpRequest, right: Any) -> HttpResponse:
    """The calculator on the market approach with the comparables box filled from the register
    (one row per comparable, its source listed below the box) and the value computed; or, when
    the register has none, the box left empty and the page saying so."""
    found, refusal = _register_comparables(right)
    rows = [{**item["comparable"], "label": item["label"]} for item in found]
    data = {**_INITIAL, "method": "market", "comparables": comparables_text(rows)}
    if found:
        form = ValuationForm(data)
        result, error, status = _preview(form, right)
    else:
        form, result, error, status = ValuationForm(initial=data), None, "", 200
    context = _calculator_context(request, right, form, result, error)
    context.update(
        register_comparables=found,
        register_comparables_loaded=True,
        register_comparables_refusal=refusal,
    )
    return render(request, "valuation/calculator.html", context, status=status)


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def valuation_calculator(request: HttpRequest, number: str) -> HttpResponse:
    if right_number_or_none(number) is None:
        return error_404(request)
    right = registry_selectors.right_get(number=number)
    if request.method == "GET":
        if request.GET.get("comparables") == "register":
            return _calculator_with_comparables(request, right)
        form = ValuationForm(initial=_INITIAL)
        context = _calculator_context(request, right, form, None, "")
        return render(request, "valuation/calculator.html", context)
    form = ValuationForm(request.POST)
    result, error, status = _preview(form, right)
    if request.htmx:
        # The live preview: only the result block, field errors travelling out of band. Always a
        # 200: htmx swaps no 4xx response, and an error is what the block must show then.
        context = _calculator_context(request, right, form, result, error)
        # Per field, out of band: its errors other than "required" (a field not filled in yet is
        # listed in the result block, not flagged while the user types); [] clears old ones.
        errors = form.errors.as_data()
        context["field_errors"] = [
            (name, [m for e in errors.get(name, []) if e.code != "required" for m in e.messages])
            for name in form.fields
        ]
        return render(request, "valuation/calculator.html#preview", context)
    if "save" not in request.POST or result is None:
        context = _calculator_context(request, right, form, result, error)
        return render(request, "valuation/calculator.html", context, status=status)
    made: dict[str, Any] = {}

    def act() -> str:
        valuation = made["valuation"] = valuation_services.valuation_create(
            actor=request.user,
            rights=[right.number],
            method=form.chosen_method,
            inputs=form.payload(),
            client_bank_uscc=form.cleaned_data.get("client_bank_uscc") or None,
        )
        return _("评估已保存为草稿，编号 #%(id)s。") % {"id": valuation.pk}

    def shown_again(status: int, error: str) -> HttpResponse:
        context = _calculator_context(request, right, form, None, error)
        return render(request, "valuation/calculator.html", context, status=status)

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect(
            "valuation:valuation_detail", valuation_id=made["valuation"].pk
        ),
        on_failure=shown_again,
    )


# --- a valuation ---------------------------------------------------------------------------------


def _score(right: Any) -> Any:
    """The right's indicator score, or None when it has none yet."""
    try:
        return valuation_selectors.right_score_get(number=right.number)
    except DomainError:
        return None


def _score_with_experts(right: Any, form: ExpertScoreForm) -> Any:
    """The score with the expert assessments of `form` (GET: expert_legal, ...); one the score
    refuses (outside 0–100, not a number) is shown next to its input and the score shown
    without them."""
    experts = form.experts()
    if not experts:
        return _score(right)
    try:
        return valuation_selectors.right_score_get(number=right.number, experts=experts)
    except DomainError as exc:
        if message := _show_error(form, exc):  # names no input: the form's own error
            form.add_error(None, message)
        return _score(right)


def _recheck_form(request: HttpRequest, valuation: Any) -> RecheckForm:
    """The recheck form: one amount per right of the report, prefilled with the bank's own latest
    bank_internal valuation of the right when it has one (the source shown next to the input)."""
    rights = presentation.valuation_rights(valuation)
    own = bank_reference_values(actor=request.user, rights=rights)
    initial = {
        RecheckForm.field_name(i): f"{own[r.number][0]:f}"
        for i, r in enumerate(rights)
        if r.number in own
    }
    sources = {
        number: _("本行内部评估 #%(id)s") % {"id": vid} for number, (_amount, vid) in own.items()
    }
    return RecheckForm([r.number for r in rights], initial=initial, sources=sources)


def _detail_context(
    request: HttpRequest, valuation: Any, recheck_form: RecheckForm | None = None
) -> dict[str, Any]:
    user = request.user
    rights = presentation.valuation_rights(valuation)
    on = presentation.valuation_date(valuation)
    statuses = registry_selectors.rights_status_bulk(rights, on=on) if rights else {}
    expert_form = ExpertScoreForm(request.GET or None)
    score = _score_with_experts(rights[0], expert_form) if rights else None
    bars, chart_height = (
        svg_bar_rows(
            contribution_bars(_field(score, "contributions") or []),
            language=get_language(),
            width=CHART_WIDTH,
            label_width=290,
        )
        if score is not None
        else ([], 0.0)
    )
    state = valuation.state
    own = valuation.organisation_id == user.organisation_id
    client = valuation.client_bank_id is not None and valuation.client_bank_id == (
        user.organisation_id
    )
    inputs = valuation.inputs if isinstance(valuation.inputs, dict) else {}
    result = valuation.result if isinstance(valuation.result, dict) else {}
    result = {**result, "value": str(valuation.value)}
    # The services decide; these only choose the buttons (maker issues, client bank rechecks).
    can_recheck = _can_write(user) and state == "issued" and client and not own
    if can_recheck and recheck_form is None:
        recheck_form = _recheck_form(request, valuation)
    return {
        "valuation": valuation,
        "report_number": presentation.report_number(valuation),
        "rights": [(r, statuses.get(r.pk)) for r in rights],
        "input_rows": presentation.input_rows(valuation.method, inputs),
        **_result_context(valuation.method, result, inputs),
        # A pending invalidation or a grace period on the valuation date (issue 13).
        "warnings": [
            w.as_dict(_language() == "en")
            for w in valuation_selectors.statuses_warnings(rights, statuses)
        ],
        "score": score,
        "score_dimensions": _dimensions(score),
        "score_grade_text": presentation.grade_sentence(score) if score else "",
        "score_cohort_text": presentation.cohort_sentence(score) if score else "",
        "expert_form": expert_form,
        "score_experts": _experts_used(expert_form, score),
        "bars": bars,
        "chart_width": CHART_WIDTH,
        "chart_height": chart_height,
        "can_issue": _can_write(user) and state == "draft" and own,
        "issue_form": IssueForm(),
        "appraisers": [n for n in (valuation.appraiser_one, valuation.appraiser_two) if n],
        "can_recheck": can_recheck,
        "recheck_form": recheck_form if can_recheck else None,
        "recheck_text": presentation.recheck_text(valuation),
        "recheck_note": presentation.recheck_note(valuation),
        "recheck_table": presentation.recheck_table(valuation),
    }


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _experts_used(form: ExpertScoreForm, score: Any) -> list[tuple[str, str]]:
    """(label, value) of each expert assessment the shown score counts."""
    used = (_field(score, "experts") or {}) if score is not None else {}
    return [(str(form.fields[name].label), value) for name, value in used.items()]


def _dimensions(score: Any) -> list[tuple[str, float]]:
    if score is None:
        return []
    dims = _field(score, "dimensions") or {}
    labels = (
        ("legal", _("法律价值度")),
        ("technical", _("技术价值度")),
        ("economic", _("经济价值度")),
    )
    return [(label, float(dims[key])) for key, label in labels if key in dims]


@login_required
@domain_errors
def valuation_detail(request: HttpRequest, valuation_id: int) -> HttpResponse:
    valuation = valuation_selectors.valuation_get(actor=request.user, pk=valuation_id)
    return render(request, "valuation/detail.html", _detail_context(request, valuation))


def _valuation_action(
    request: HttpRequest,
    valuation_id: int,
    act: Any,
    done: str,
    *,
    form: Any = None,
    form_key: str | None = None,
) -> HttpResponse:
    """Run `act(actor=, valuation=)` (`run_action`, after `form` if any is valid): redirect to the
    page with `done`, or show the page again with the error and the form (as `form_key`)."""
    valuation = valuation_selectors.valuation_get(actor=request.user, pk=valuation_id)

    def run() -> str:
        act(actor=request.user, valuation=valuation)
        return done

    def shown_again(status: int, error: str) -> HttpResponse:
        fresh = valuation_selectors.valuation_get(actor=request.user, pk=valuation_id)
        context = _detail_context(request, fresh)
        if form_key is not None:
            context[form_key] = form
        context["action_error"] = error
        return render(request, "valuation/detail.html", context, status=status)

    return run_action(
        request,
        run,
        form=form,
        on_success=lambda: redirect("valuation:valuation_detail", valuation_id=valuation_id),
        on_failure=shown_again,
    )


@login_required
@domain_errors
@require_POST
def valuation_issue(request: HttpRequest, valuation_id: int) -> HttpResponse:
    """The maker issues its draft, signed by the two appraisers the form names (资产评估法
    art. 26); a refusal is shown above the form's inputs, which keep what was typed."""
    form = IssueForm(request.POST)

    def issue(*, actor: Any, valuation: Any) -> None:
        valuation_services.valuation_issue(
            actor=actor,
            valuation=valuation,
            appraisers=form.appraisers(),
            fee=form.cleaned_data.get("fee"),
            fee_payer_uscc=form.cleaned_data.get("fee_payer_uscc"),
        )

    return _valuation_action(
        request, valuation_id, issue, _("评估报告已出具。"), form=form, form_key="issue_form"
    )


@login_required
@domain_errors
@require_POST
def valuation_recheck(request: HttpRequest, valuation_id: int) -> HttpResponse:
    """The client bank's recheck with its own value of each right (the form's amounts); a post
    without them (no `reference_<i>` field) lets the service take the bank's own bank_internal
    valuations. A refusal is shown on the page: next to the right it names, or as the message."""
    valuation = valuation_selectors.valuation_get(actor=request.user, pk=valuation_id)
    rights = presentation.valuation_rights(valuation)
    form = RecheckForm([r.number for r in rights], request.POST)
    posted = any(RecheckForm.field_name(i) in request.POST for i in range(len(rights)))

    def act() -> str:
        valuation_services.valuation_recheck(
            actor=request.user,
            valuation=valuation,
            reference_values=form.reference_values() if posted else None,
        )
        return _("已按本行评估值完成复核。")

    def shown_again(status: int, error: str) -> HttpResponse:
        fresh = valuation_selectors.valuation_get(actor=request.user, pk=valuation_id)
        context = {**_detail_context(request, fresh, recheck_form=form), "action_error": error}
        return render(request, "valuation/detail.html", context, status=status)

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("valuation:valuation_detail", valuation_id=valuation_id),
        on_failure=shown_again,
    )


@login_required
@domain_errors
def valuation_report_pdf(request: HttpRequest, valuation_id: int) -> HttpResponse:
    valuation = valuation_selectors.valuation_get(actor=request.user, pk=valuation_id)
    rights = presentation.valuation_rights(valuation)
    # Every right of the package is scored, up to the report's limit (a note says how many more).
    scores = [(right, _score(right)) for right in rights[: presentation.REPORT_SCORE_LIMIT]]
    pdf = valuation_report.valuation_report_pdf(valuation, scores=scores, language=_language())
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"{presentation.report_number(valuation)}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@login_required
@domain_errors
def valuation_list(request: HttpRequest) -> HttpResponse:
    valuations = valuation_selectors.valuation_list(actor=request.user).prefetch_related(
        "items__right"
    )
    context = {
        "valuations": list(valuations[:LIST_LIMIT]),
        "limit": LIST_LIMIT,
        "can_write": _can_write(request.user),
        "today": timezone.localdate(),
    }
    return render(request, "valuation/list.html", context)


@login_required
@domain_errors
def agency_seal(request: HttpRequest) -> HttpResponse:
    """评估机构印章: the agency administrator's page to upload the seal image printed on the
    reports its agency issues (资产评估法 art. 26); shows the current one."""
    seal = valuation_selectors.agency_seal_of(actor=request.user)
    form = SealUploadForm()
    if request.method != "POST":
        return render(request, "valuation/agency_seal.html", {"seal": seal, "form": form})
    form = SealUploadForm(request.POST, request.FILES)

    def act() -> str:
        agency_seal_upload(actor=request.user, uploaded_file=form.cleaned_data["image"])
        return _("评估机构印章已上传，将印在本机构此后下载的正式评估报告上。")

    def shown_again(status: int, error: str) -> HttpResponse:
        context = {"seal": seal, "form": form, "action_error": error}
        return render(request, "valuation/agency_seal.html", context, status=status)

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("valuation:agency_seal"),
        on_failure=shown_again,
    )


@login_required
@domain_errors
def agency_seal_image(request: HttpRequest) -> HttpResponse:
    """The current seal image, for the agency's administrators only."""
    seal = valuation_selectors.agency_seal_of(actor=request.user)
    if seal is None:
        return error_404(request)
    return FileResponse(seal.image.open("rb"), content_type=seal.content_type)


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def credit_imports(request: HttpRequest) -> HttpResponse:
    """The IP office's credit data files: those imported, and a form to import one. The file
    is imported in the background (a file of 50,000 rows takes seconds): the page of its run
    follows it and shows the outcome, every problem of a file refused."""
    valuation_selectors.credit_imports(actor=request.user)  # the permission, before the form
    form = CreditImportForm(request.POST or None, request.FILES or None)

    def page(status: int = 200, error: str = "") -> HttpResponse:
        context = {
            "form": form,
            "imports": list(valuation_selectors.credit_imports(actor=request.user)[:LIST_LIMIT]),
            "action_error": error,
        }
        return render(request, "valuation/credit_imports.html", context, status=status)

    if request.method != "POST":
        return page()
    return queue_run_action(
        request,
        lambda: valuation_services.credit_file_import_request(
            actor=request.user,
            uploaded_file=form.cleaned_data["file"],
            kind=form.cleaned_data["kind"],
            source=form.cleaned_data["source"],
            as_of=form.cleaned_data["as_of"],
        ),
        _("文件已提交导入（后台任务 #%(id)s）。"),
        form=form,
        on_failure=page,
    )
