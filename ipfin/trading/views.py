"""The trading board's pages (知识产权运营): the public board — rights offered for sale or licence,
with the pledges on defaulted loans listed for disposal (质物处置) beside them, and the board's
figures — a listing's page (its holder's interests, deal and withdrawal; another enterprise's
expression of interest), and the deals with the pledgee's consent and the trading centre's record.
Thin: one selector or service per page or action; every action runs through `run_action`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ipfin.accounts.permissions import Perm, acting_organisation, has_perm, require, require_login
from ipfin.accounts.ratelimit import ANON_READ_THROTTLE, retry_after
from ipfin.disposals.domain import DisposalState
from ipfin.disposals.selectors import disposal_list
from ipfin.registry.models import Right
from ipfin.trading import selectors, services
from ipfin.trading.forms import ConsentForm, DealForm, InterestForm, ListingForm, RefuseForm
from ipfin.trading.models import Listing
from ipfin.web.templatetags.ipfin_web import yuan
from ipfin.web.views import domain_errors, run_action

BOARD_ROWS = 100
DISPOSAL_ROWS = 20


@domain_errors
@require_http_methods(["GET"])
def board(request: HttpRequest) -> HttpResponse:
    """The board (public): the open listings, the live disposals, the figures by year. The
    figures aggregate every listing and deal: an anonymous address past IPFIN_ANON_READ_RATE is
    shown the board without them (the reason in words), as GET /trading/stats refuses it."""
    kind = request.GET.get("kind", "")
    figures = ANON_READ_THROTTLE.allow_request(request)
    context = {
        "listings": list(
            selectors.listing_board(kind=kind if kind in ("sale", "licence") else None)[:BOARD_ROWS]
        ),
        "kind": kind,
        "disposals": list(
            disposal_list(actor=request.user, state=DisposalState.LISTED)[:DISPOSAL_ROWS]
        ),
        "stats": selectors.trade_stats() if figures else [],
        "stats_limited": None if figures else retry_after(ANON_READ_THROTTLE.wait()),
        "can_list": has_perm(request.user, Perm.TRADE_LIST),
    }
    return render(request, "trading/board.html", context)


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def listing_new(request: HttpRequest) -> HttpResponse:
    user = require(request.user, Perm.TRADE_LIST)
    org = acting_organisation(user)
    held = (
        Right.objects.filter(owners__organisation=org, owners__valid_to__isnull=True)
        .distinct()
        .order_by("number")
    )
    form = ListingForm(request.POST if request.method == "POST" else None)
    form.fields["number"].choices = [  # type: ignore[attr-defined]
        ("", _("请选择")),
        *((r.number, f"{r.number} · {r.title}") for r in held),
    ]

    def page(status: int = 200, error: str = "") -> HttpResponse:
        context = {"form": form, "action_error": error, "has_rights": held.exists()}
        return render(request, "trading/new.html", context, status=status)

    if request.method != "POST":
        return page()
    made: dict[str, Listing] = {}

    def act() -> str:
        made["x"] = services.listing_create(actor=user, data=form.cleaned_data)
        return _("已挂牌：交易大厅已公开该知识产权的交易信息。")

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("trading:listing_detail", made["x"].pk),
        on_failure=page,
    )


def _listing_page(
    request: HttpRequest, listing_id: int, status: int = 200, **given: Any
) -> HttpResponse:
    listing = selectors.listing_get(listing_id=listing_id)
    user = request.user
    org_id = getattr(user, "organisation_id", None)
    holder = org_id == listing.owner_id and has_perm(user, Perm.TRADE_LIST)
    interests = (
        list(selectors.interest_list(actor=user).filter(listing=listing))
        if user.is_authenticated
        else []
    )
    deal_form = given.get("deal_form") or DealForm()
    deal_form.fields["interest_id"].choices = [
        ("", _("请选择")),
        *(
            (i.pk, i.party.name + (f" · {yuan(i.offer)}" if i.offer is not None else ""))
            for i in interests
        ),
    ]
    expressed = any(i.party_id == org_id for i in interests)
    context = {
        "listing": listing,
        "holder": holder,
        "interests": interests,
        "deals": list(selectors.deal_list(actor=user).filter(listing=listing))
        if user.is_authenticated
        else [],
        "can_interest": has_perm(user, Perm.TRADE_INTEREST)
        and not holder
        and org_id != listing.owner_id
        and listing.state == "open"
        and not expressed,
        "interest_form": given.get("interest_form") or InterestForm(),
        "deal_form": deal_form,
        "can_deal": holder and listing.state == "open" and bool(interests),
        "action_error": given.get("error", ""),
    }
    return render(request, "trading/detail.html", context, status=status)


@domain_errors
@require_http_methods(["GET"])
def listing_detail(request: HttpRequest, listing_id: int) -> HttpResponse:
    return _listing_page(request, listing_id)


def _listing_action(
    request: HttpRequest, listing_id: int, run: Callable[[], str], key: str, form: Any = None
) -> HttpResponse:
    selectors.listing_get(listing_id=listing_id)  # 404 for an unknown one

    def refused(status: int, error: str) -> HttpResponse:
        return _listing_page(request, listing_id, status, **{key: form, "error": error})

    return run_action(
        request,
        run,
        form=form,
        on_success=lambda: redirect("trading:listing_detail", listing_id),
        on_failure=refused,
    )


@login_required
@domain_errors
@require_POST
def interest_express(request: HttpRequest, listing_id: int) -> HttpResponse:
    form = InterestForm(request.POST)

    def run() -> str:
        services.interest_express(
            actor=require_login(request.user), listing_id=listing_id, **form.cleaned_data
        )
        return _("已提交交易意向，权利人将与您联系。")

    return _listing_action(request, listing_id, run, "interest_form", form)


@login_required
@domain_errors
@require_POST
def deal_agree(request: HttpRequest, listing_id: int) -> HttpResponse:
    form = DealForm(request.POST)
    listing = selectors.listing_get(listing_id=listing_id)
    form.fields["interest_id"].choices = [  # type: ignore[attr-defined]
        (i.pk, str(i.pk)) for i in listing.interests.all()
    ]
    made: dict[str, Any] = {}

    def run() -> str:
        made["deal"] = services.deal_agree(
            actor=require_login(request.user), listing_id=listing_id, **form.cleaned_data
        )
        if made["deal"].state == "awaiting_consent":
            return _("已达成交易；该知识产权质押中，须经质权人同意后登记。")
        return _("已达成交易，待交易中心登记。")

    def refused(status: int, error: str) -> HttpResponse:
        return _listing_page(request, listing_id, status, deal_form=form, error=error)

    return run_action(
        request,
        run,
        form=form,
        on_success=lambda: redirect("trading:deal_detail", made["deal"].pk),
        on_failure=refused,
    )


@login_required
@domain_errors
@require_POST
def listing_withdraw(request: HttpRequest, listing_id: int) -> HttpResponse:
    def run() -> str:
        services.listing_withdraw(actor=require_login(request.user), listing_id=listing_id)
        return _("已撤牌。")

    return _listing_action(request, listing_id, run, "interest_form")


@login_required
@domain_errors
@require_http_methods(["GET"])
def deal_list(request: HttpRequest) -> HttpResponse:
    deals = list(selectors.deal_list(actor=request.user)[:BOARD_ROWS])
    return render(request, "trading/deals.html", {"deals": deals})


def _deal_page(request: HttpRequest, deal_id: int, status: int = 200, **given: Any) -> HttpResponse:
    deal = selectors.deal_get(actor=request.user, deal_id=deal_id)
    org_id = getattr(request.user, "organisation_id", None)
    consents = list(deal.consents.all())
    mine = next((c for c in consents if c.pledgee_id == org_id), None)
    context = {
        "deal": deal,
        "consents": consents,
        "can_answer": mine is not None
        and mine.state == "pending"
        and deal.state == "awaiting_consent"
        and has_perm(request.user, Perm.TRADE_CONSENT),
        "can_record": deal.state == "ready" and has_perm(request.user, Perm.TRADE_RECORD),
        "to_buyer": deal.state == "lapsed" and selectors.deal_went_to_buyer(deal),
        "consent_form": given.get("consent_form") or ConsentForm(),
        "refuse_form": given.get("refuse_form") or RefuseForm(),
        "action_error": given.get("error", ""),
    }
    return render(request, "trading/deal.html", context, status=status)


@login_required
@domain_errors
@require_http_methods(["GET"])
def deal_detail(request: HttpRequest, deal_id: int) -> HttpResponse:
    return _deal_page(request, deal_id)


def _deal_action(
    request: HttpRequest, deal_id: int, run: Callable[[], str], key: str, form: Any = None
) -> HttpResponse:
    selectors.deal_get(actor=request.user, deal_id=deal_id)  # 404 for strangers

    def refused(status: int, error: str) -> HttpResponse:
        return _deal_page(request, deal_id, status, **{key: form, "error": error})

    return run_action(
        request,
        run,
        form=form,
        on_success=lambda: redirect("trading:deal_detail", deal_id),
        on_failure=refused,
    )


@login_required
@domain_errors
@require_POST
def deal_consent(request: HttpRequest, deal_id: int) -> HttpResponse:
    form = ConsentForm(request.POST)

    def run() -> str:
        services.deal_consent(
            actor=require_login(request.user),
            deal_id=deal_id,
            decision="consent",
            document=form.cleaned_data["document"],
        )
        return _("已同意该交易。")

    return _deal_action(request, deal_id, run, "consent_form", form)


@login_required
@domain_errors
@require_POST
def deal_refuse(request: HttpRequest, deal_id: int) -> HttpResponse:
    form = RefuseForm(request.POST)

    def run() -> str:
        services.deal_consent(
            actor=require_login(request.user),
            deal_id=deal_id,
            decision="refuse",
            reason=form.cleaned_data["reason"],
        )
        return _("已答复不同意；挂牌已恢复。")

    return _deal_action(request, deal_id, run, "refuse_form", form)


@login_required
@domain_errors
@require_POST
def deal_record(request: HttpRequest, deal_id: int) -> HttpResponse:
    def run() -> str:
        services.deal_record(actor=require_login(request.user), deal_id=deal_id)
        return _("已在登记簿登记该交易。")

    return _deal_action(request, deal_id, run, "consent_form")
