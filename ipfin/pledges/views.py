"""The pledge registration pages: the list, the joint application form with its live pre-check,
a pledge's page with every action a party or the examiner may take, and the examiner's queue.
Views stay thin: parse, call one selector or service, render; the services enforce."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from ipfin.accounts.permissions import Perm, has_perm, require
from ipfin.common.display import yuan
from ipfin.common.errors import DomainError, NotFound
from ipfin.holidays.selectors import working_calendar
from ipfin.pledges import selectors as pledge_selectors
from ipfin.pledges import services as pledge_services
from ipfin.pledges.domain import CaseKind, CaseQuery, declared_risks
from ipfin.pledges.forms import (
    CaseAssignForm,
    CaseFilterForm,
    ConfirmForm,
    DecisionForm,
    DeclineForm,
    DocumentUploadForm,
    PledgeApplicationForm,
    PledgeChangeForm,
    PledgeCorrectionForm,
    ReleaseForm,
)
from ipfin.pledges.models import ChangeStateChoices, Pledge, PledgeStateChoices
from ipfin.pledges.securing import SecuredLoan, outstanding_loans
from ipfin.web.language import is_english, list_separator
from ipfin.web.views import domain_errors, error_404, run_action

SEARCH_LIMIT = 50
LIST_LIMIT = 100

# --- pledges -------------------------------------------------------------------------------------


@login_required
@domain_errors
def pledge_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state") or None
    if state not in PledgeStateChoices.values:
        state = None
    pledges = pledge_selectors.pledge_list(actor=request.user, state=state)
    context = {
        "pledges": list(pledges[:LIST_LIMIT]),
        "state": state,
        "states": PledgeStateChoices.choices,
        "state_counts": state_counts(pledge_selectors.pledge_list(actor=request.user)),
        "can_apply": has_perm(request.user, Perm.PLEDGE_APPLY)
        or has_perm(request.user, Perm.PLEDGE_CO_SIGN),
        "today": timezone.localdate(),
    }
    return render(request, "pledges/pledge_list.html", context)


def _precheck_partial(request: HttpRequest, form: PledgeApplicationForm) -> HttpResponse:
    """The live pre-check: every rule with its outcome, or what is still missing."""
    context: dict[str, Any] = {"form": form, "checks": None, "precheck_error": ""}
    if form.is_valid():
        try:
            context["checks"] = pledge_selectors.pledge_precheck(
                actor=request.user, today=timezone.localdate(), **form.precheck_kwargs()
            )
        except DomainError as exc:
            context["precheck_error"] = exc.detail(get_language())
    return render(request, "pledges/pledge_form.html#precheck", context)


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def pledge_new(request: HttpRequest) -> HttpResponse:
    """A bank files for an enterprise, an enterprise files naming its bank (办法 arts. 3, 7):
    either way the application then awaits the other party's confirmation."""
    as_pledgor = has_perm(request.user, Perm.PLEDGE_CO_SIGN) and not has_perm(
        request.user, Perm.PLEDGE_APPLY
    )
    if not as_pledgor:
        require(request.user, Perm.PLEDGE_APPLY)
    if request.method == "POST" and request.htmx:
        return _precheck_partial(
            request, PledgeApplicationForm(request.POST, as_pledgor=as_pledgor)
        )
    if request.method == "POST":
        form = PledgeApplicationForm(request.POST, request.FILES, as_pledgor=as_pledgor)
    else:
        form = PledgeApplicationForm(
            initial={"term_start": timezone.localdate()}, as_pledgor=as_pledgor
        )
    shown: dict[str, Any] = {"checks": None}

    def page(status: int = 200, error: str = "") -> HttpResponse:
        context = {
            "form": form,
            "checks": shown["checks"],
            "action_error": error,
            "precheck_error": "",
            "as_pledgor": as_pledgor,
        }
        return render(request, "pledges/pledge_form.html", context, status=status)

    if request.method != "POST":
        return page()
    made: dict[str, Any] = {}

    def act() -> str:
        pledge, _checks = pledge_services.pledge_submit(actor=request.user, **form.submit_kwargs())
        made["pledge"] = pledge
        contract = form.cleaned_data.get("contract")
        if contract and not as_pledgor:
            # The application stands without its contract: a failed upload is said, not undone.
            try:
                pledge_services.pledge_document_upload(
                    actor=request.user, pledge=pledge, uploaded_file=contract
                )
            except DomainError as exc:
                messages.error(
                    request,
                    _("申请已提交，但合同上传失败：%(reason)s")
                    % {"reason": exc.detail(get_language())},
                )
            else:
                messages.success(request, _("质押合同已上传。"))
        return _("质押登记申请 #%(id)s 已提交，待对方于 %(day)s 前确认后进入审查。") % {
            "id": pledge.pk,
            "day": pledge.confirm_by,
        }

    def keep_checks(exc: DomainError) -> None:
        shown["checks"] = exc.extra.get("checks")  # the pre-check's table: why it was refused

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("pledges:pledge_detail", pledge_id=made["pledge"].pk),
        on_failure=page,
        on_refusal=keep_checks,
    )


class _RadioSelectWithDisabled(forms.RadioSelect):
    """Radio buttons of which some choices are shown but cannot be picked (`disabled`)."""

    def __init__(self, disabled: frozenset[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.disabled = disabled

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option: dict[str, Any] = super().create_option(name, value, *args, **kwargs)
        if str(value) in self.disabled:
            option["attrs"]["disabled"] = True
        return option


def _without_approve(form: DecisionForm) -> DecisionForm:
    """The decision form with 准予登记 disabled: the service refuses it without a contract
    (`contract_missing`), so the page does not offer it; the other decisions stay possible."""
    field = form.fields["decision"]
    widget = _RadioSelectWithDisabled(frozenset({"approve"}), attrs=field.widget.attrs)
    widget.choices = getattr(field, "choices", [])
    field.widget = widget
    return form


def _party(user: Any, pledge: Pledge) -> str | None:
    """The user's side of the pledge if it may act for it (the pledgee bank, the pledgor
    enterprise), else None: which buttons to show; the services enforce."""
    org_id = getattr(user, "organisation_id", None)
    if org_id == pledge.pledgee_id and has_perm(user, Perm.PLEDGE_APPLY):
        return "pledgee"
    if org_id == pledge.pledgor_id and has_perm(user, Perm.PLEDGE_CO_SIGN):
        return "pledgor"
    return None


_OPEN_APPLICATION = ("awaiting_confirmation", "submitted", "correction_requested")


def _change_rows(user: Any, pledge: Pledge, party: str | None) -> list[dict[str, Any]]:
    """Each change application with what this user may do with it."""
    can_decide = has_perm(user, Perm.PLEDGE_DECIDE)
    rows = []
    for change in pledge.changes.all():
        awaiting = change.state == "awaiting_confirmation"
        rows.append(
            {
                "change": change,
                "can_confirm": awaiting and party is not None and party != change.initiator,
                "can_withdraw": party is not None and change.state in _OPEN_APPLICATION,
                **_holding(user, change, can_decide),
            }
        )
    return rows


def _holding(user: Any, case: Any, examines: bool) -> dict[str, Any]:
    """What the examiner's desk shows of who holds a case (a registration or a change) and what
    `user` may do about it; the services enforce (`services/assignment.py`)."""
    open_case = case.state == "submitted"
    holder = case.assignee
    mine = holder is not None and holder.pk == getattr(user, "pk", None)
    assigns = has_perm(user, Perm.PLEDGE_ASSIGN)
    held_by_other = examines and holder is not None and not mine
    return {
        "holder": holder,
        "holder_name": _holder_name(holder),
        "held_by_me": mine,
        "held_by_other": held_by_other,
        "can_claim": examines and open_case and holder is None,
        "can_release_claim": examines and open_case and holder is not None and (mine or assigns),
        "can_assign": assigns and open_case,
        "can_decide": examines and open_case and not held_by_other,
        "seen": pledge_services.seen_token(case),
    }


def _examiners(user: Any, needed: bool) -> Any:
    """The examiners a case may be assigned to, read only when the page offers an assignment."""
    return pledge_selectors.case_examiners(actor=user) if needed else None


def _pledge_context(
    request: HttpRequest, pledge: Pledge, bound: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The pledge page's context; `bound` replaces blank forms (a submitted one with errors)."""
    user = request.user
    state = pledge.state
    party = _party(user, pledge)
    pledgee = party == "pledgee"
    examines = has_perm(user, Perm.PLEDGE_DECIDE)
    holding = _holding(user, pledge, examines)
    documents = list(pledge.documents.all())
    change_rows = _change_rows(user, pledge, party)
    open_change = any(r["change"].state in _OPEN_APPLICATION for r in change_rows)
    context: dict[str, Any] = {
        "pledge": pledge,
        "party": party,
        "items": list(pledge.items.all()),
        "documents": documents,
        "has_contract": any(d.kind == pledge_services.CONTRACT for d in documents),
        "change_rows": change_rows,
        "today": timezone.localdate(),
        "can_confirm": party is not None
        and party != pledge.initiator
        and state == "awaiting_confirmation",
        "awaiting_other": party is not None
        and party == pledge.initiator
        and state == "awaiting_confirmation",
        "can_upload": pledgee and state in _OPEN_APPLICATION,
        **holding,
        "examines": examines,
        # The contract the examiner reads inline on the case page (the latest uploaded).
        "contract": next(
            (d for d in reversed(documents) if d.kind == pledge_services.CONTRACT), None
        ),
        "declared_risks": declared_risks(pledge.checks or []),
        "can_release": pledgee and state == "registered",
        "can_request_release": party == "pledgor"
        and state == "registered"
        and pledge.release_requested_on is None,
        "can_change": party is not None and state == "registered" and not open_change,
        "can_resubmit": party is not None and state == "correction_requested",
        "can_withdraw": party is not None and state in _OPEN_APPLICATION,
        "upload_form": DocumentUploadForm(),
        "decision_form": DecisionForm(initial={"seen": holding["seen"]}),
        "change_decision_form": DecisionForm(prefix="change-decision"),
        "assign_form": CaseAssignForm(
            examiners=_examiners(user, holding["can_assign"]),
            initial={"assignee": pledge.assignee_id},
        ),
        "change_assign_form": CaseAssignForm(
            examiners=_examiners(user, any(r["can_assign"] for r in change_rows)),
            prefix="change-assign",
        ),
        "change_form": PledgeChangeForm(),
        "correction_form": PledgeCorrectionForm.for_pledge(pledge),
        "confirm_form": ConfirmForm(),
        "decline_form": DeclineForm(),
        "release_form": ReleaseForm(),
        **(bound or {}),
    }
    if not context["has_contract"]:
        _without_approve(context["decision_form"])
    # The pledgee's loans the pledge still secures: its release then waives the security.
    secured = outstanding_loans(pledge) if context["can_release"] else []
    context["secured_loans"] = secured
    context["release_confirm"] = _release_confirm(pledge, secured)
    return context


def _release_confirm(pledge: Pledge, secured: list[SecuredLoan]) -> str:
    """What the release's confirmation says will happen: the rights freed for good, and each
    outstanding loan left unsecured."""
    if not secured:
        return _("注销质押登记 %(no)s 后，知识产权即解除质押，不能恢复。确定注销？") % {
            "no": pledge.registration_no
        }
    english = is_english()
    loans = list_separator().join(
        _("#%(id)s（未偿 %(owed)s）")
        % {"id": x.loan_id, "owed": yuan(x.owed, english=english, exact=True)}
        for x in secured
    )
    return _(
        "注销质押登记 %(no)s 后，知识产权即解除质押，不能恢复；本行放弃担保，贷款 %(loans)s"
        "成为无担保贷款。确定注销？"
    ) % {"no": pledge.registration_no, "loans": loans}


@login_required
@domain_errors
def pledge_detail(request: HttpRequest, pledge_id: int) -> HttpResponse:
    pledge = pledge_selectors.pledge_get(actor=request.user, pledge_id=pledge_id)
    return render(request, "pledges/pledge_detail.html", _pledge_context(request, pledge))


def _pledge_action(
    request: HttpRequest,
    pledge_id: int,
    act: Callable[[Pledge], str],
    *,
    form_name: str | None = None,
    form: Any = None,
) -> HttpResponse:
    """Run one service on the pledge (`run_action`): redirect with its message, or show the
    pledge page again with the form and the error at the error's status."""
    pledge = pledge_selectors.pledge_get(actor=request.user, pledge_id=pledge_id)

    def shown_again(status: int, error: str) -> HttpResponse:
        fresh = pledge_selectors.pledge_get(actor=request.user, pledge_id=pledge_id)
        forms_shown = {form_name: form} if form_name and form is not None else None
        context = _pledge_context(request, fresh, forms_shown)
        context["action_error"] = error
        return render(request, "pledges/pledge_detail.html", context, status=status)

    return run_action(
        request,
        lambda: act(pledge),
        form=form,
        on_success=lambda: redirect("pledges:pledge_detail", pledge_id=pledge.pk),
        on_failure=shown_again,
    )


@login_required
@domain_errors
@require_POST
def pledge_document_upload(request: HttpRequest, pledge_id: int) -> HttpResponse:
    form = DocumentUploadForm(request.POST, request.FILES)

    def act(pledge: Pledge) -> str:
        pledge_services.pledge_document_upload(
            actor=request.user, pledge=pledge, uploaded_file=form.cleaned_data["file"]
        )
        return _("质押合同已上传。")

    return _pledge_action(request, pledge_id, act, form_name="upload_form", form=form)


@login_required
@domain_errors
def pledge_document_download(
    request: HttpRequest, pledge_id: int, document_id: int
) -> HttpResponse:
    pledge = pledge_selectors.pledge_get(actor=request.user, pledge_id=pledge_id)
    document = next((d for d in pledge.documents.all() if d.pk == document_id), None)
    if document is None:
        return error_404(request)
    return FileResponse(
        document.file.open("rb"), as_attachment=True, filename=document.original_name
    )


# Who may frame the inline contract: this site's own pages only (the examiner's case page); every
# other response keeps frame-ancestors 'none' and X-Frame-Options DENY (config/settings.py).
INLINE_FRAME_POLICY = "frame-ancestors 'self'"


@login_required
@domain_errors
@xframe_options_sameorigin
def pledge_document_inline(request: HttpRequest, pledge_id: int, document_id: int) -> HttpResponse:
    """The pledge contract shown inside the examiner's case page (Content-Disposition: inline;
    X-Frame-Options SAMEORIGIN and frame-ancestors 'self' on this response only): for the office's
    examiners (`Perm.PLEDGE_DECIDE`; anyone else 403). The download link stays beside it."""
    require(request.user, Perm.PLEDGE_DECIDE)
    pledge = pledge_selectors.pledge_get(actor=request.user, pledge_id=pledge_id)
    document = next((d for d in pledge.documents.all() if d.pk == document_id), None)
    if document is None:
        return error_404(request)
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=False,
        filename=document.original_name,
        content_type="application/pdf",
    )
    response["Content-Security-Policy"] = INLINE_FRAME_POLICY
    return response


# --- the examiner's desk: who holds a case --------------------------------------------------------


@login_required
@domain_errors
@require_POST
def pledge_claim(request: HttpRequest, pledge_id: int) -> HttpResponse:
    def act(pledge: Pledge) -> str:
        pledge_services.case_claim(actor=request.user, case=pledge)
        return _("您已认领质押登记申请 #%(id)s，由您承办审查。") % {"id": pledge.pk}

    return _pledge_action(request, pledge_id, act)


@login_required
@domain_errors
@require_POST
def pledge_claim_release(request: HttpRequest, pledge_id: int) -> HttpResponse:
    def act(pledge: Pledge) -> str:
        pledge_services.case_claim_release(actor=request.user, case=pledge)
        return _("质押登记申请 #%(id)s 已退回审查队列，任何审查员均可认领。") % {"id": pledge.pk}

    return _pledge_action(request, pledge_id, act)


@login_required
@domain_errors
@require_POST
def pledge_assign(request: HttpRequest, pledge_id: int) -> HttpResponse:
    form = CaseAssignForm(
        request.POST, examiners=pledge_selectors.case_examiners(actor=request.user)
    )

    def act(pledge: Pledge) -> str:
        held = pledge_services.case_assign(
            actor=request.user, case=pledge, assignee=form.cleaned_data["assignee"]
        )
        return _("质押登记申请 #%(id)s 已指派给 %(who)s 承办。") % {
            "id": pledge.pk,
            "who": _holder_name(held.assignee),
        }

    return _pledge_action(request, pledge_id, act, form_name="assign_form", form=form)


@login_required
@domain_errors
@require_POST
def pledge_change_claim(request: HttpRequest, pledge_id: int, change_id: int) -> HttpResponse:
    def act(change: Any) -> str:
        pledge_services.case_claim(actor=request.user, case=change)
        return _("您已认领变更登记申请 #%(id)s，由您承办审查。") % {"id": change.pk}

    return _change_action(request, pledge_id, change_id, act)


@login_required
@domain_errors
@require_POST
def pledge_change_claim_release(
    request: HttpRequest, pledge_id: int, change_id: int
) -> HttpResponse:
    def act(change: Any) -> str:
        pledge_services.case_claim_release(actor=request.user, case=change)
        return _("变更登记申请 #%(id)s 已退回审查队列。") % {"id": change.pk}

    return _change_action(request, pledge_id, change_id, act)


@login_required
@domain_errors
@require_POST
def pledge_change_assign(request: HttpRequest, pledge_id: int, change_id: int) -> HttpResponse:
    form = CaseAssignForm(
        request.POST,
        examiners=pledge_selectors.case_examiners(actor=request.user),
        prefix="change-assign",
    )

    def act(change: Any) -> str:
        held = pledge_services.case_assign(
            actor=request.user, case=change, assignee=form.cleaned_data["assignee"]
        )
        return _("变更登记申请 #%(id)s 已指派给 %(who)s 承办。") % {
            "id": change.pk,
            "who": _holder_name(held.assignee),
        }

    return _change_action(
        request, pledge_id, change_id, act, form_name="change_assign_form", form=form
    )


def _holder_name(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


@login_required
@domain_errors
@require_POST
def pledge_decide(request: HttpRequest, pledge_id: int) -> HttpResponse:
    form = DecisionForm(request.POST)

    def act(pledge: Pledge) -> str:
        decided = pledge_services.pledge_decide(
            actor=request.user,
            pledge=pledge,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
            seen=form.cleaned_data["seen"] or None,
        )
        if decided.registration_no:
            return _("已准予登记，登记号 %(no)s。") % {"no": decided.registration_no}
        if decided.approval_proposed_by_id == request.user.pk:
            return _("已提议准予登记：担保债权超过双人复核限额，须由另一名审查员复核批准。")
        return _("审查决定已保存：%(state)s。") % {"state": decided.get_state_display()}

    return _pledge_action(request, pledge_id, act, form_name="decision_form", form=form)


@login_required
@domain_errors
@require_POST
def pledge_release(request: HttpRequest, pledge_id: int) -> HttpResponse:
    form = ReleaseForm(request.POST)

    def act(pledge: Pledge) -> str:
        data = form.cleaned_data
        secured = outstanding_loans(pledge)
        pledge_services.pledge_release(
            actor=request.user,
            pledge=pledge,
            basis=data["basis"],
            waive_security=data["waive_security"],
            reason=data["reason"],
        )
        if secured:
            return _("质押登记已注销；本行已放弃担保，贷款 %(loans)s 现为无担保贷款。") % {
                "loans": list_separator().join(f"#{x.loan_id}" for x in secured)
            }
        return _("质押登记已注销。")

    return _pledge_action(request, pledge_id, act, form_name="release_form", form=form)


@login_required
@domain_errors
@require_POST
def pledge_release_request(request: HttpRequest, pledge_id: int) -> HttpResponse:
    """The pledgor asks the pledgee to release the pledge jointly."""

    def act(pledge: Pledge) -> str:
        pledge_services.pledge_release_request(actor=request.user, pledge=pledge)
        return _("已申请共同注销，待质权人办理注销登记。")

    return _pledge_action(request, pledge_id, act)


@login_required
@domain_errors
@require_POST
def pledge_confirm(request: HttpRequest, pledge_id: int) -> HttpResponse:
    """The other party signs the joint application (办法 arts. 3, 7)."""
    form = ConfirmForm(request.POST)

    def act(pledge: Pledge) -> str:
        confirmed = pledge_services.pledge_confirm(actor=request.user, pledge=pledge)
        return _("已确认共同申请，申请已提交审查，审查期限 %(day)s。") % {"day": confirmed.deadline}

    return _pledge_action(request, pledge_id, act, form_name="confirm_form", form=form)


@login_required
@domain_errors
@require_POST
def pledge_decline(request: HttpRequest, pledge_id: int) -> HttpResponse:
    form = DeclineForm(request.POST)

    def act(pledge: Pledge) -> str:
        pledge_services.pledge_decline(
            actor=request.user, pledge=pledge, reason=form.cleaned_data["reason"]
        )
        return _("已拒绝该质押登记申请。")

    return _pledge_action(request, pledge_id, act, form_name="decline_form", form=form)


def _change_action(
    request: HttpRequest,
    pledge_id: int,
    change_id: int,
    act: Callable[[Any], str],
    *,
    form_name: str | None = None,
    form: Any = None,
) -> HttpResponse:
    """One service on a change application of the pledge (404 for a change of another pledge)."""

    def on_pledge(pledge: Pledge) -> str:
        change = pledge_selectors.pledge_change_get(actor=request.user, change_id=change_id)
        if change.pledge_id != pledge.pk:
            raise NotFound(
                "未找到该变更登记申请。",
                "No such change application.",
                code="pledge_change_not_found",
            )
        return act(change)

    return _pledge_action(request, pledge_id, on_pledge, form_name=form_name, form=form)


@login_required
@domain_errors
@require_POST
def pledge_change_confirm(request: HttpRequest, pledge_id: int, change_id: int) -> HttpResponse:
    form = ConfirmForm(request.POST)

    def act(change: Any) -> str:
        pledge_services.pledge_change_confirm(actor=request.user, change=change)
        return _("已确认变更登记申请，申请已提交审查。")

    return _change_action(request, pledge_id, change_id, act, form_name="confirm_form", form=form)


@login_required
@domain_errors
@require_POST
def pledge_change_decline(request: HttpRequest, pledge_id: int, change_id: int) -> HttpResponse:
    form = DeclineForm(request.POST)

    def act(change: Any) -> str:
        pledge_services.pledge_change_decline(
            actor=request.user, change=change, reason=form.cleaned_data["reason"]
        )
        return _("已拒绝该变更登记申请。")

    return _change_action(request, pledge_id, change_id, act, form_name="decline_form", form=form)


@login_required
@domain_errors
@require_POST
def pledge_change_withdraw(request: HttpRequest, pledge_id: int, change_id: int) -> HttpResponse:
    def act(change: Any) -> str:
        pledge_services.pledge_change_withdraw(actor=request.user, change=change)
        return _("变更登记申请已撤回。")

    return _change_action(request, pledge_id, change_id, act)


@login_required
@domain_errors
@require_POST
def pledge_change_decide(request: HttpRequest, pledge_id: int, change_id: int) -> HttpResponse:
    form = DecisionForm(request.POST, prefix="change-decision")

    def act(change: Any) -> str:
        decided = pledge_services.pledge_change_decide(
            actor=request.user,
            change=change,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
            seen=form.cleaned_data["seen"] or None,
        )
        if decided.state != "approved" and decided.approval_proposed_by_id == request.user.pk:
            return _("已提议准予变更：变更后的担保债权超过双人复核限额，须由另一名审查员复核批准。")
        return _("变更登记审查决定已保存：%(state)s。") % {"state": decided.get_state_display()}

    return _change_action(
        request, pledge_id, change_id, act, form_name="change_decision_form", form=form
    )


@login_required
@domain_errors
@require_POST
def pledge_change(request: HttpRequest, pledge_id: int) -> HttpResponse:
    form = PledgeChangeForm(request.POST)

    def act(pledge: Pledge) -> str:
        change = pledge_services.pledge_change(
            actor=request.user, pledge=pledge, **form.change_kwargs()
        )
        return _(
            "变更登记申请已提交，待对方于 %(day)s 前确认后进入审查；登记内容在准予变更前不变。"
        ) % {"day": change.confirm_by}

    return _pledge_action(request, pledge_id, act, form_name="change_form", form=form)


@login_required
@domain_errors
@require_POST
def pledge_resubmit(request: HttpRequest, pledge_id: int) -> HttpResponse:
    form = PledgeCorrectionForm(request.POST)

    def act(pledge: Pledge) -> str:
        resubmitted, _checks = pledge_services.pledge_resubmit(
            actor=request.user, pledge=pledge, **form.resubmit_kwargs()
        )
        if resubmitted.state == "awaiting_confirmation":
            return _("补正后的申请内容有变化，已提交对方确认。")
        return _("补正后已重新提交，等待审查。")

    return _pledge_action(request, pledge_id, act, form_name="correction_form", form=form)


@login_required
@domain_errors
@require_POST
def pledge_withdraw(request: HttpRequest, pledge_id: int) -> HttpResponse:
    def act(pledge: Pledge) -> str:
        pledge_services.pledge_withdraw(actor=request.user, pledge=pledge)
        return _("质押登记申请已撤回。")

    return _pledge_action(request, pledge_id, act)


# --- examiner ------------------------------------------------------------------------------------


CASES_PER_PAGE = 25


@login_required
@domain_errors
def examiner_queue(request: HttpRequest) -> HttpResponse:
    """The examiner's desk: registrations and change applications filtered (state, deadline in
    working days, kind of case and of right, bank, mine or unclaimed) and sorted by the GET
    parameters, a page at a time with the filters kept in the page links. A bad parameter is said
    next to its filter (400), never a server error. A fixed number of queries per page."""
    require(request.user, Perm.PLEDGE_DECIDE)
    today = timezone.localdate()
    banks = pledge_selectors.case_banks(actor=request.user)
    form = CaseFilterForm(request.GET or None, banks=banks)
    context: dict[str, Any] = {"form": form, "today": today, "rows": [], "page": None}
    if form.is_bound and not form.is_valid():
        context["filter_error"] = _("筛选条件有误，请按提示更正。")
        return render(request, "pledges/examiner_queue.html", context, status=400)
    query = form.query() if form.is_bound else CaseQuery()
    cases = pledge_selectors.examiner_cases(actor=request.user, query=query, today=today)
    page_no = form.cleaned_data.get("page") if form.is_bound else None
    page = Paginator(cases, CASES_PER_PAGE).get_page(page_no or 1)
    rows = list(page.object_list)
    kept = request.GET.copy()
    kept.pop("page", None)
    context.update(
        {
            "page": page,
            "rows": case_rows(rows, pledge_selectors.case_details(rows), request.user, today),
            "query": kept.urlencode(),
            "filtered": form.is_bound,
        }
    )
    return render(request, "pledges/examiner_queue.html", context)


def case_rows(
    rows: list[dict[str, Any]], details: Any, user: Any, today: Any
) -> list[dict[str, Any]]:
    """A page of the desk's queue as the template shows it: each case with its labels (never a
    code), its deadline and the working days left, who holds it, its rights and any risk the
    parties declared they proceed past."""
    calendar = working_calendar()
    labels = {
        CaseKind.REGISTRATION: dict(PledgeStateChoices.choices),
        CaseKind.CHANGE: dict(ChangeStateChoices.choices),
    }
    shown = []
    for row in rows:
        kind = CaseKind(row["c_kind"])
        deadline = row["c_deadline"]
        open_case = row["c_state"] == PledgeStateChoices.SUBMITTED
        first, last = row["c_assignee_first"] or "", row["c_assignee_last"] or ""
        holder = f"{last}{first}".strip() or row["c_assignee_username"]
        shown.append(
            {
                "kind": kind.value,
                "id": row["c_id"],
                "pledge_id": row["c_pledge"],
                "state": row["c_state"],
                "state_label": labels[kind].get(row["c_state"], ""),
                "proposed": row["c_proposed"] is not None and open_case,
                "open": open_case,
                "deadline": deadline,
                "overdue": open_case and deadline is not None and deadline < today,
                "due_today": open_case and deadline == today,
                "days_left": (
                    calendar.working_days_between(today, deadline)
                    if open_case and deadline is not None and deadline > today
                    else None
                ),
                "filed": row["c_filed"],
                "bank": row["c_bank_name"],
                "pledgor": row["c_pledgor_name"],
                "amount": row["c_amount"],
                "registration_no": row["c_regno"],
                "holder": holder,
                "mine": row["c_assignee"] is not None and row["c_assignee"] == user.pk,
                "rights": details.rights.get(row["c_pledge"], []),
                "declared": details.declared.get(row["c_pledge"], []),
                "after": row["c_after"] if kind is CaseKind.CHANGE else None,
            }
        )
    return shown


def state_counts(pledges: Any) -> list[dict[str, Any]]:
    """Pledges per state (one aggregate query), every state listed, in the state machine's order."""
    counts = dict(
        pledges.order_by().values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    return [
        {"state": value, "label": label, "count": counts.get(value, 0)}
        for value, label in PledgeStateChoices.choices
    ]
