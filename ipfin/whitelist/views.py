"""The white-list pages. The IP office: imports with their reports, screening rules with the
preview (who is in, who is out and why), batches (create, publish, push), recommendations from
banks, conversion figures both ways, Excel exports. A bank: the batches pushed to it, a follow-up
form per enterprise, recommending an enterprise, its own figures.

Views stay thin: parse the form → one selector or service → render or redirect. Every form action
runs through the UI kernel's `run_action`: a refused write or an invalid form shows the page it came
from again, with the form and the error in place, at the error's status (400 for the form, else the
refusal's own: 403, 404, 409, 422); a GET of something the user may not see is the error page with
its status (404 for another tenant's batch), via ipfin.web.views.domain_errors.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ipfin.common.downloads import attachment
from ipfin.web.views import domain_errors, queue_run_action, run_action
from ipfin.whitelist import exports, selectors, services
from ipfin.whitelist.forms import (
    BatchForm,
    FollowUpForm,
    ImportForm,
    PushForm,
    RecommendationDecisionForm,
    RecommendationForm,
    RuleForm,
)
from ipfin.whitelist.models import BatchState, RecommendationState

LIST_LIMIT = 100
PREVIEW_LIMIT = 200


def _base(request: HttpRequest, section: str) -> dict[str, Any]:
    return {
        "section": section,
        "is_office": selectors.is_office(request.user),
        "sees_all": selectors.sees_all(request.user),
    }


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    return attachment(content, exports.XLSX_CONTENT_TYPE, filename)


# --- imports -------------------------------------------------------------------------------------


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def import_list(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)

    def page(status: int = 200, error: str = "") -> HttpResponse:
        imports = list(selectors.imported_list_list(actor=request.user)[:LIST_LIMIT])
        context = {**_base(request, "imports"), "form": form, "imports": imports}
        return render(
            request, "whitelist/import_list.html", {**context, "action_error": error}, status=status
        )

    if request.method != "POST":
        return page()
    return queue_run_action(
        request,
        lambda: services.list_import_request(
            actor=request.user,
            uploaded_file=form.cleaned_data["file"],
            kind=form.cleaned_data["kind"],
            name=form.cleaned_data["name"],
        ),
        _("名单已提交导入（后台任务 #%(id)s）。"),
        form=form,
        on_failure=page,
    )


@login_required
@domain_errors
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    imported = selectors.imported_list_get(actor=request.user, pk=import_id)
    rows = list(imported.entries.select_related("organisation").order_by("row_no"))
    return render(
        request,
        "whitelist/import_detail.html",
        {
            **_base(request, "imports"),
            "imported": imported,
            "unmatched": [r for r in rows if not r.matched],
            "matched": [r for r in rows if r.matched],
        },
    )


# --- rules ---------------------------------------------------------------------------------------


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def rule_list(request: HttpRequest) -> HttpResponse:
    form = RuleForm(request.POST or None)

    def page(status: int = 200, error: str = "") -> HttpResponse:
        rules = list(selectors.rule_list(actor=request.user)[:LIST_LIMIT])
        context = {**_base(request, "rules"), "form": form, "rules": rules, "action_error": error}
        return render(request, "whitelist/rule_list.html", context, status=status)

    if request.method != "POST":
        return page()
    made: dict[str, Any] = {}

    def act() -> str:
        made["rule"] = services.rule_create(actor=request.user, **form.payload())
        return _("筛选规则已保存。")

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("whitelist:rule_detail", rule_id=made["rule"].pk),
        on_failure=page,
    )


@login_required
@domain_errors
def rule_detail(request: HttpRequest, rule_id: int) -> HttpResponse:
    """The rule and its preview: who is in, who is out and why; a form to make a draft batch."""
    rule = selectors.rule_get(actor=request.user, pk=rule_id)
    return _rule_page(request, rule)


def _rule_page(
    request: HttpRequest, rule: Any, form: Any = None, status: int = 200, error: str = ""
) -> HttpResponse:
    on = timezone.localdate()
    included, excluded = selectors.screening_preview(
        actor=request.user, criteria=selectors.criteria_of(rule), on=on
    )
    return render(
        request,
        "whitelist/rule_detail.html",
        {
            **_base(request, "rules"),
            "rule": rule,
            "on": on,
            "included": included,
            "excluded": excluded[:PREVIEW_LIMIT],
            "excluded_count": len(excluded),
            "limit": PREVIEW_LIMIT,
            "form": form or BatchForm(initial={"title": f"{rule.name} {on.isoformat()}"}),
            "action_error": error,
        },
        status=status,
    )


@login_required
@domain_errors
@require_POST
def batch_create(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = selectors.rule_get(actor=request.user, pk=rule_id)
    form = BatchForm(request.POST)
    made: dict[str, Any] = {}

    def act() -> str:
        made["batch"] = services.batch_create(
            actor=request.user, rule=rule, title=form.cleaned_data["title"]
        )
        return _("已生成草稿批次。")

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("whitelist:batch_detail", batch_id=made["batch"].pk),
        on_failure=lambda status, error: _rule_page(request, rule, form, status, error),
    )


# --- batches -------------------------------------------------------------------------------------


@login_required
@domain_errors
def batch_list(request: HttpRequest) -> HttpResponse:
    batches = list(selectors.batch_list(actor=request.user)[:LIST_LIMIT])
    return render(
        request, "whitelist/batch_list.html", {**_base(request, "batches"), "batches": batches}
    )


@login_required
@domain_errors
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = selectors.batch_get(actor=request.user, pk=batch_id)
    return _batch_page(request, batch)


def _batch_page(
    request: HttpRequest, batch: Any, status: int = 200, error: str = "", **bound: Any
) -> HttpResponse:
    """The batch's page; `bound` replaces a blank form (a submitted one with its errors)."""
    user = request.user
    office = selectors.is_office(user)
    pushes = selectors.batch_pushes(batch, actor=user)
    pushed_ids = {p.bank_id for p in pushes}
    context: dict[str, Any] = {
        **_base(request, "batches"),
        "batch": batch,
        "rows": selectors.entries_with_latest(batch, actor=user),
        "pushes": pushes,
        "can_publish": office and batch.state == BatchState.DRAFT,
        "can_push": office and batch.state == BatchState.PUBLISHED,
        "can_follow_up": selectors.is_bank(user),
        "follow_up_form": FollowUpForm(),
        "action_error": error,
    }
    # Who a publication today would leave out (a 失信 record since the batch was drawn up).
    context["leaving_out"] = (
        selectors.dishonest_entries(batch, timezone.localdate()) if context["can_publish"] else []
    )
    if context["can_push"]:
        banks = [b for b in selectors.banks_for_push() if b.pk not in pushed_ids]
        context["push_form"] = PushForm(banks=banks) if banks else None
    if batch.state == BatchState.PUBLISHED:
        (context["figures"],) = selectors.conversion_figures(actor=user, by=(), batch_id=batch.pk)
        context["bank_figures"] = selectors.conversion_figures(
            actor=user, by=("bank",), batch_id=batch.pk
        )
    context.update(bound)
    return render(request, "whitelist/batch_detail.html", context, status=status)


def _on_batch(request: HttpRequest, batch: Any, act: Any, form: Any = None, **bound: Any) -> Any:
    """A form action on the batch's page: back to it, or the page again with the error."""
    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("whitelist:batch_detail", batch_id=batch.pk),
        on_failure=lambda status, error: _batch_page(request, batch, status, error, **bound),
    )


@login_required
@domain_errors
@require_POST
def batch_publish(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = selectors.batch_get(actor=request.user, pk=batch_id)

    def act() -> str:
        services.batch_publish(actor=request.user, batch=batch)
        return _("批次已发布。")

    return _on_batch(request, batch, act)


@login_required
@domain_errors
@require_POST
def batch_push(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = selectors.batch_get(actor=request.user, pk=batch_id)
    form = PushForm(request.POST, banks=selectors.banks_for_push())

    def act() -> str:
        new, _already = services.batch_push(
            actor=request.user,
            batch=batch,
            bank_ids=[int(b) for b in form.cleaned_data["bank_ids"]],
        )
        return _("已推送给 %(n)s 家银行。") % {"n": len(new)}

    return _on_batch(request, batch, act, form=form, push_form=form)


@login_required
@domain_errors
def batch_export(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = selectors.batch_get(actor=request.user, pk=batch_id)
    return _xlsx(
        exports.batch_workbook(actor=request.user, batch=batch), f"whitelist-{batch.pk}.xlsx"
    )


@login_required
@domain_errors
@require_POST
def follow_up(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = selectors.entry_get(actor=request.user, pk=entry_id)
    form = FollowUpForm(request.POST)

    def act() -> str:
        data = form.cleaned_data
        services.follow_up_record(
            actor=request.user,
            entry=entry,
            status=data["status"],
            amount=data["amount"] or None,
            reason=data["reason"],
            note=data["note"],
        )
        return _("已记录对 %(name)s 的跟进。") % {"name": entry.enterprise.name}

    return _on_batch(request, entry.batch, act, form=form)


# --- recommendations -----------------------------------------------------------------------------


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def recommendation_list(request: HttpRequest) -> HttpResponse:
    form = RecommendationForm(request.POST or None)
    if request.method != "POST":
        return _recommendation_page(request, form)

    def act() -> str:
        data = form.cleaned_data
        services.recommendation_create(
            actor=request.user,
            enterprise_uscc=data["enterprise_uscc"],
            reason=data["reason"],
            intended_amount=data["intended_amount"] or None,
        )
        return _("推荐已提交知识产权局。")

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("whitelist:recommendation_list"),
        on_failure=lambda status, error: _recommendation_page(request, form, status, error),
    )


def _recommendation_page(
    request: HttpRequest, form: Any = None, status: int = 200, error: str = ""
) -> HttpResponse:
    user = request.user
    office = selectors.is_office(user)
    recommendations = list(selectors.recommendation_list(actor=user)[:LIST_LIMIT])
    drafts = (
        list(selectors.batch_list(actor=user, state=BatchState.DRAFT)[:LIST_LIMIT])
        if office
        else []
    )
    return render(
        request,
        "whitelist/recommendation_list.html",
        {
            **_base(request, "recommendations"),
            "recommendations": recommendations,
            "form": (form or RecommendationForm()) if selectors.is_bank(user) else None,
            "decision_form": RecommendationDecisionForm(batches=drafts) if office else None,
            "received": RecommendationState.RECEIVED,
            "action_error": error,
        },
        status=status,
    )


@login_required
@domain_errors
@require_POST
def recommendation_decide(request: HttpRequest, rec_id: int) -> HttpResponse:
    user = request.user
    recommendation = selectors.recommendation_get(actor=user, pk=rec_id)
    drafts = selectors.batch_list(actor=user, state=BatchState.DRAFT)
    form = RecommendationDecisionForm(request.POST, batches=drafts)

    def act() -> str:
        data = form.cleaned_data
        batch_id = data.get("batch_id")
        services.recommendation_decide(
            actor=user,
            recommendation=recommendation,
            decision=data["decision"],
            batch=selectors.batch_get(actor=user, pk=batch_id) if batch_id else None,
            reason=data["reason"],
        )
        return _("推荐已处理。")

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("whitelist:recommendation_list"),
        on_failure=lambda status, error: _recommendation_page(request, None, status, error),
    )


# --- figures -------------------------------------------------------------------------------------


@login_required
@domain_errors
def figures(request: HttpRequest) -> HttpResponse:
    user = request.user
    (total,) = selectors.conversion_figures(actor=user, by=())
    return render(
        request,
        "whitelist/figures.html",
        {
            **_base(request, "figures"),
            "total_rows": [total],
            "by_batch": selectors.conversion_figures(actor=user, by=("batch",)),
            "by_bank": selectors.conversion_figures(actor=user, by=("bank",)),
            "recommendations": selectors.recommendation_figures(actor=user),
        },
    )


@login_required
@domain_errors
def figures_export(request: HttpRequest) -> HttpResponse:
    return _xlsx(exports.figures_workbook(actor=request.user), "whitelist-figures.xlsx")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("whitelist:batch_list")
