"""The disposal pages (质物处置 / 交易大厅): the public board, a listing's page with the bid, the
backstop, the completion and the withdrawal (撤回挂牌) forms by role, and the pledgee bank's listing
form. Thin: one selector or service per page or action (ipfin.disposals.selectors, services); every
action runs through `run_action`, so a refusal answers its own status with the message in place."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ipfin.accounts.permissions import Perm, has_perm, require, require_login
from ipfin.disposals import selectors, services
from ipfin.disposals.domain import (
    DisposalAction,
    DisposalState,
    allowed_actions,
    backstop_floor,
    backstop_from,
)
from ipfin.disposals.forms import (
    BackstopForm,
    BidForm,
    CompleteForm,
    DisposalCreateForm,
    DisposalFilterForm,
    WithdrawForm,
)
from ipfin.disposals.models import Disposal, DisposalStateChoices
from ipfin.disposals.presentation import Phase, board_row
from ipfin.holidays.selectors import working_calendar
from ipfin.pledges.models import Pledge
from ipfin.valuation.models import Valuation
from ipfin.web.templatetags.ipfin_web import yuan
from ipfin.web.views import domain_errors, run_action

LISTINGS_PER_PAGE = 30
ALL = gettext_lazy("全部")


# --- the board -----------------------------------------------------------------------------------


@domain_errors
@require_http_methods(["GET"])
def board(request: HttpRequest) -> HttpResponse:
    """The trading board (public, as the API's reads): the latest listed first, by state."""
    form = DisposalFilterForm(request.GET or None)
    form.fields["state"].choices = [("", ALL), *DisposalStateChoices.choices]  # type: ignore[attr-defined]
    chosen = form.cleaned_data.get("state") if form.is_bound and form.is_valid() else None
    rows = selectors.disposal_list(
        actor=request.user, state=DisposalState(chosen) if chosen else None
    )
    page = Paginator(rows, LISTINGS_PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    context = {
        "form": form,
        "page": page,
        "rows": [board_row(disposal, now) for disposal in page.object_list],
        "state": chosen or "",
        "can_list": has_perm(request.user, Perm.DISPOSAL_MANAGE),
    }
    return render(request, "disposals/board.html", context)


# --- one listing ---------------------------------------------------------------------------------


def _is_party(request: HttpRequest, disposal: Disposal) -> bool:
    """The pledgee, the pledgor or the borrower (who may not bid: the service says why)."""
    org_id = getattr(request.user, "organisation_id", None)
    if org_id is None:
        return False
    return org_id in {disposal.bank_id, disposal.pledgor_id, disposal.loan.enterprise_id}


def _detail_context(request: HttpRequest, disposal: Disposal, **given: Any) -> dict[str, Any]:
    user = request.user
    now = timezone.now()
    row = board_row(disposal, now)
    now_phase = row.phase
    org_id = getattr(user, "organisation_id", None)
    seller = org_id == disposal.bank_id and has_perm(user, Perm.DISPOSAL_MANAGE)
    party = _is_party(request, disposal)
    first_backstop_day = backstop_from(disposal.listed_on, working_calendar())
    no_bid = disposal.leading_amount is None
    can_bid = now_phase is Phase.OPEN and has_perm(user, Perm.DISPOSAL_BID) and not party
    can_complete = seller and (
        (now_phase is Phase.CLOSED and not no_bid) or disposal.state == DisposalState.BACKSTOPPED
    )
    centre = has_perm(user, Perm.DISPOSAL_BACKSTOP) and disposal.state == DisposalState.LISTED
    # From the 181st day, once bidding has closed (a later close announced: a bid may yet come).
    can_backstop = (
        centre
        and no_bid
        and timezone.localdate() >= first_backstop_day
        and now >= disposal.closes_at
    )
    completed = disposal.state == DisposalState.COMPLETED
    withdrawn = disposal.state == DisposalState.WITHDRAWN
    # Both read what only the lending relationship's parties may (selectors.settlement_visible).
    parties = (completed or withdrawn) and selectors.settlement_visible(
        actor=user, disposal=disposal
    )
    return {
        "disposal": disposal,
        "row": row,
        "phase": now_phase.value,
        "bids": list(disposal.bids.all()),
        "rights": list(disposal.rights.all()),
        "org_id": org_id,
        "seller": seller,
        "party": party and has_perm(user, Perm.DISPOSAL_BID),
        "backstop_from": first_backstop_day,
        "backstop_floor": backstop_floor(Decimal(disposal.reserve_price)),
        "can_bid": can_bid,
        "bid_form": given.get("bid_form") or BidForm(),
        "can_complete": can_complete,
        "complete_form": given.get("complete_form") or CompleteForm(),
        "centre_waits": centre and no_bid and not can_backstop,
        "can_backstop": can_backstop,
        "backstop_form": given.get("backstop_form") or BackstopForm(),
        # Listed or backstopped: the seller may take it down (the transition table says when).
        "can_withdraw": seller and DisposalAction.WITHDRAW in allowed_actions(disposal.state),
        "withdraw_form": given.get("withdraw_form") or WithdrawForm(),
        "withdraw_reason": withdrawn and parties,
        "settlement": completed and parties,
        "action_error": given.get("error", ""),
        "anonymous": not user.is_authenticated,
    }


def _detail(
    request: HttpRequest, disposal_id: int, status: int = 200, **given: Any
) -> HttpResponse:
    disposal = selectors.disposal_get(actor=request.user, disposal_id=disposal_id)
    context = _detail_context(request, disposal, **given)
    return render(request, "disposals/detail.html", context, status=status)


@domain_errors
@require_http_methods(["GET"])
def disposal_detail(request: HttpRequest, disposal_id: int) -> HttpResponse:
    return _detail(request, disposal_id)


def _action(
    request: HttpRequest,
    disposal_id: int,
    run: Callable[[Disposal], str],
    *,
    form: Any,
    key: str,
) -> HttpResponse:
    """Run one service on the listing: back to its page with the message, or the page again with
    the form and the refusal at the refusal's status."""
    disposal = selectors.disposal_get(actor=request.user, disposal_id=disposal_id)

    def refused(status: int, error: str) -> HttpResponse:
        return _detail(request, disposal_id, status, **{key: form, "error": error})

    return run_action(
        request,
        lambda: run(disposal),
        form=form,
        on_success=lambda: redirect("disposals:disposal_detail", disposal_id),
        on_failure=refused,
    )


@login_required
@domain_errors
@require_POST
def bid_place(request: HttpRequest, disposal_id: int) -> HttpResponse:
    form = BidForm(request.POST)

    def run(disposal: Disposal) -> str:
        bid = services.bid_place(
            actor=require_login(request.user), disposal=disposal, amount=form.cleaned_data["amount"]
        )
        return _("出价成功：您的竞买号为 %(no)s，出价 %(amount)s。") % {
            "no": bid.bidder_no,
            "amount": yuan(bid.amount),
        }

    return _action(request, disposal_id, run, form=form, key="bid_form")


@login_required
@domain_errors
@require_POST
def disposal_backstop(request: HttpRequest, disposal_id: int) -> HttpResponse:
    form = BackstopForm(request.POST)

    def run(disposal: Disposal) -> str:
        services.disposal_backstop(
            actor=require_login(request.user), disposal=disposal, price=form.cleaned_data["price"]
        )
        return _("已收储。质权人办理成交后，知识产权登记转让至贵单位名下。")

    return _action(request, disposal_id, run, form=form, key="backstop_form")


@login_required
@domain_errors
@require_POST
def disposal_complete(request: HttpRequest, disposal_id: int) -> HttpResponse:
    form = CompleteForm(request.POST)

    def run(disposal: Disposal) -> str:
        done = services.disposal_complete(
            actor=require_login(request.user),
            disposal=disposal,
            disposal_costs=form.cleaned_data["disposal_costs"],
        )
        return _(
            "已成交：知识产权已登记转让给买受人，质押已注销；%(to_loan)s 用于清偿贷款，"
            "%(to_pledgor)s 返还出质人。"
        ) % {
            "to_loan": yuan(done.to_loan or 0),
            "to_pledgor": yuan(done.to_pledgor or 0),
        }

    return _action(request, disposal_id, run, form=form, key="complete_form")


@login_required
@domain_errors
@require_POST
def disposal_withdraw(request: HttpRequest, disposal_id: int) -> HttpResponse:
    form = WithdrawForm(request.POST)

    def run(disposal: Disposal) -> str:
        services.disposal_withdraw(
            actor=require_login(request.user), disposal=disposal, reason=form.cleaned_data["reason"]
        )
        return _("已撤回挂牌，相关各方已收到通知；该质押可重新挂牌。")

    return _action(request, disposal_id, run, form=form, key="withdraw_form")


# --- the listing form ----------------------------------------------------------------------------


def _pledge_label(pledge: Pledge) -> str:
    rights = "、".join(item.right.number for item in pledge.items.all())
    return f"{pledge.registration_no} · {pledge.pledgor.name} · {rights}"


def _valuation_label(valuation: Valuation) -> str:
    return _("#%(id)s · 评估值 %(value)s · 基准日 %(date)s · %(org)s") % {
        "id": valuation.pk,
        "value": yuan(valuation.value),
        "date": valuation.valuation_date.isoformat(),
        "org": valuation.organisation.name,
    }


def _listable(request: HttpRequest) -> list[tuple[Pledge, list[Valuation]]]:
    """The bank's listable pledges, each with the valuations its reserve may rest on."""
    today = timezone.localdate()
    return [
        (pledge, selectors.reserve_valuations(actor=request.user, pledge=pledge, today=today))
        for pledge in selectors.listable_pledges(actor=request.user)
    ]


def _create_form(request: HttpRequest, listable: list[tuple[Pledge, list[Valuation]]]) -> Any:
    """The listing form: the pledges, and their valuations grouped under each pledge's number;
    on GET `?pledge=<id>` (or the only pledge) chosen, on its latest valuation."""
    pledges = [(pledge.pk, _pledge_label(pledge)) for pledge, _valuations in listable]
    groups = [
        (pledge.registration_no, [(v.pk, _valuation_label(v)) for v in valuations])
        for pledge, valuations in listable
    ]
    choose = [("", _("请选择"))]
    choices = {"pledges": [*choose, *pledges], "valuations": [*choose, *groups]}
    if request.method == "POST":
        return DisposalCreateForm(request.POST, **choices)
    initial: dict[str, Any] = {"method": "auction", "listed_on": timezone.localdate()}
    wanted = request.GET.get("pledge", "")
    for pledge, valuations in listable:
        if wanted == str(pledge.pk) or len(listable) == 1:
            initial["pledge_id"] = pledge.pk
            initial["valuation_id"] = valuations[0].pk if valuations else None
    return DisposalCreateForm(initial=initial, **choices)


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def disposal_new(request: HttpRequest) -> HttpResponse:
    """The pledgee bank lists a pledge of a defaulted loan (`?pledge=<id>` chooses it)."""
    require(request.user, Perm.DISPOSAL_MANAGE)
    listable = _listable(request)
    form = _create_form(request, listable)

    def page(status: int = 200, error: str = "") -> HttpResponse:
        context = {
            "form": form,
            "action_error": error,
            "has_pledges": bool(listable),
            # Pledges with no valuation to rest a reserve on: the bank values them first.
            "unvalued": [pledge for pledge, valuations in listable if not valuations],
        }
        return render(request, "disposals/new.html", context, status=status)

    if request.method != "POST":
        return page()
    made: dict[str, Disposal] = {}

    def act() -> str:
        made["disposal"] = services.disposal_create(
            actor=require_login(request.user), **form.cleaned_data
        )
        return _("已挂牌：处置项目已在交易大厅公开。")

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("disposals:disposal_detail", made["disposal"].pk),
        on_failure=page,
    )
