"""The disposal pages over real HTTP (Django's test client): the public board (交易大厅) with its
filter and a flat query count, a listing's page by role — the bid (accepted, too low, closed, a
party of the pledge), the completion by the pledgee after the close, the trading centre's
backstop after 180 days, the settlement only for those `settlement_visible` admits —, the pledgee
bank's listing form with its errors next to the fields, and no internal code on any page.

Test names carry their source: `issue12` (issue 12, "Disposal"), `issue13` (issue 13, the UX
rules: no internal codes, errors next to their field, confirmations)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import partial
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.disposals.models import Bid, Disposal
from ipfin.disposals.tests.conftest import (
    days_ago,
    listing_body,
    open_backstop_day,
    opening,
)
from ipfin.loans.models import Loan
from ipfin.pledges.models import Pledge
from ipfin.registry.models import Right
from ipfin.valuation.models import Valuation

pytestmark = pytest.mark.django_db

BOARD = "/disposals/"
NEW = "/disposals/new/"


def page_of(disposal: Disposal, what: str = "") -> str:
    return f"{BOARD}{disposal.pk}/" + (f"{what}/" if what else "")


class _Text(HTMLParser):
    """The text a reader sees in the page's <main>: character data (attributes, which carry the
    test ids and CSS classes, are not shown; the header shows the user's own login name)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._main = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._main = self._main or tag == "main"

    def handle_endtag(self, tag: str) -> None:
        self._main = self._main and tag != "main"

    def handle_data(self, data: str) -> None:
        if self._main:
            self.parts.append(data)


def visible_text(response: Any) -> str:
    parser = _Text()
    parser.feed(response.content.decode())
    return " ".join(parser.parts)


def html_of(client: Client, path: str) -> str:
    return str(client.get(path).content.decode())


def field_errors(response: Any, field: str) -> str:
    """The errors rendered next to `field` (Django's field group: <ul id="id_<field>_error">)."""
    html = response.content.decode()
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return found.group(1) if found else ""


def select_of(html: str, name: str) -> str:
    found = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    return found.group(0) if found else ""


# The codes the disposals' models, services and forms speak; none may be read on a page.
CODES = {
    "auction",
    "listing",
    "reverse_licence",
    "equity",
    "listed",
    "backstopped",
    "completed",
    "withdrawn",
    "bidding",
    "upcoming",
    "open",
    "closed",
    "bid_too_low",
    "bidding_closed",
    "party_may_not_bid",
    "disposal_costs",
    "reserve_price",
    "reason_required",
}
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


def assert_no_codes(response: Any) -> None:
    text = visible_text(response)
    words = set(re.findall(r"[A-Za-z_]+", text))
    assert not (words & CODES), words & CODES
    assert not SNAKE.findall(text), SNAKE.findall(text)


@pytest.fixture
def anonymous() -> Client:
    return Client()


@pytest.fixture
def bank_a_web(client_for: Callable[[User], Client], bank_a_user: User) -> Client:
    return client_for(bank_a_user)


@pytest.fixture
def firm(client_for: Callable[[User], Client], enterprise_b_user: User) -> Client:
    """A bidder: an enterprise that is no party of the pledge or the loan."""
    return client_for(enterprise_b_user)


# --- the board (交易大厅) ------------------------------------------------------------------------


def test_the_board_is_public_with_labels_links_and_the_nav_link_issue12(
    open_listing: Disposal, anonymous: Client, firm: Client
) -> None:
    assert firm.post(page_of(open_listing, "bids"), {"amount": "616000.00"}).status_code == 302
    response = anonymous.get(BOARD)
    assert response.status_code == 200
    html = response.content.decode()
    right = open_listing.rights.get()
    assert f'href="/rights/{right.number}/"' in html
    assert f'href="{page_of(open_listing)}"' in html
    assert 'data-testid="nav-disposals"' in html and "交易大厅" in html
    text = visible_text(response)
    for shown in ("拍卖", "61.60 万元", "1.00 万元", "挂牌中", "竞价中", "1 次出价"):
        assert shown in text, shown
    closes = timezone.localtime(open_listing.closes_at).strftime("%Y-%m-%d %H:%M")
    # A point in time in a <time> element, which never wraps.
    assert f'<td class="nowrap" data-testid="closes-{open_listing.pk}"><time datetime="' in html
    assert f">{closes}</time></td>" in html
    assert 'class="badge disposal-listed"' in html
    # Anonymous: no listing button (the pledgee bank's).
    assert 'data-testid="disposal-new"' not in html


def test_the_board_filters_by_state(
    open_listing: Disposal, anonymous: Client, bank_a_web: Client
) -> None:
    listed = anonymous.get(BOARD, {"state": "listed"}).content.decode()
    assert f'data-disposal="{open_listing.pk}"' in listed
    completed = anonymous.get(BOARD, {"state": "completed"}).content.decode()
    assert f'data-disposal="{open_listing.pk}"' not in completed
    assert "没有符合条件的处置项目" in completed
    # An unknown state is no filter (the form is invalid: every listing shows).
    unknown = anonymous.get(BOARD, {"state": "sold"})
    assert unknown.status_code == 200
    assert f'data-disposal="{open_listing.pk}"' in unknown.content.decode()
    assert 'data-testid="disposal-new"' in bank_a_web.get(BOARD).content.decode()


def test_the_board_runs_the_same_number_of_queries_for_3_and_10_listings(
    list_pledge: Callable[..., Disposal],
    anonymous: Client,
    bank_a_web: Client,
    count_queries: Callable[[Callable[[], object]], int],
) -> None:
    for _ in range(3):
        list_pledge()
    three = [count_queries(partial(client.get, BOARD)) for client in (anonymous, bank_a_web)]
    for _ in range(7):
        list_pledge()
    assert Disposal.objects.count() == 10
    ten = [count_queries(partial(client.get, BOARD)) for client in (anonymous, bank_a_web)]
    assert ten == three


# --- bids ----------------------------------------------------------------------------------------


def test_a_bid_is_accepted_and_leads_then_the_next_minimum_issue12(
    open_listing: Disposal, firm: Client, anonymous: Client
) -> None:
    before = firm.get(page_of(open_listing))
    html = before.content.decode()
    assert 'data-testid="bid-form"' in html
    assert 'data-confirm="确认按所填金额出价？出价后不能撤回。"' in html
    assert "61.60 万元" in visible_text(before)  # the minimum: the reserve
    placed = firm.post(page_of(open_listing, "bids"), {"amount": "616000.00"})
    assert placed.status_code == 302 and placed["Location"] == page_of(open_listing)
    after = firm.get(page_of(open_listing))
    html = after.content.decode()
    leading = re.search(r'data-testid="leading">(.*?)</dd>', html)
    minimum = re.search(r'data-testid="minimum-bid">(.*?)</dd>', html)
    assert leading and leading.group(1) == "61.60 万元"
    assert minimum and minimum.group(1) == "62.60 万元"  # the leading bid plus the increment
    assert "出价成功" in visible_text(after) and "本单位" in visible_text(after)
    bid = Bid.objects.get(disposal=open_listing)
    assert (bid.amount, bid.bidder_no) == (Decimal("616000.00"), 1)
    # The public reads the bid by its number only, not the bidder's name.
    public = visible_text(anonymous.get(page_of(open_listing)))
    assert "61.60 万元" in public and "乙制造有限公司" not in public and "本单位" not in public


def test_a_too_low_bid_is_refused_next_to_the_amount_and_changes_nothing_issue12_issue13(
    open_listing: Disposal, firm: Client
) -> None:
    low = firm.post(page_of(open_listing, "bids"), {"amount": "615999.99"})
    assert low.status_code == 409
    assert "出价须不低于 616,000.00 元（起拍价）" in field_errors(low, "amount")
    assert 'value="615999.99"' in low.content.decode()  # what was typed is kept
    shape = firm.post(page_of(open_listing, "bids"), {"amount": "0"})
    assert shape.status_code == 400 and "金额必须大于零" in field_errors(shape, "amount")
    assert not Bid.objects.exists()
    open_listing.refresh_from_db()
    assert open_listing.leading_amount is None


def test_a_party_of_the_pledge_may_not_bid_issue12(
    open_listing: Disposal,
    client_for: Callable[[User], Client],
    enterprise_a_user: User,
    bank_a_web: Client,
    office_user: User,
) -> None:
    pledgor = client_for(enterprise_a_user)
    page = pledgor.get(page_of(open_listing)).content.decode()
    assert 'data-testid="bid-form"' not in page and 'data-testid="bid-party"' in page
    refused = pledgor.post(page_of(open_listing, "bids"), {"amount": "616000.00"})
    assert refused.status_code == 403
    assert "质权人、出质人和借款人不能参与竞买" in visible_text(refused)
    assert 'data-testid="action-error"' in refused.content.decode()
    by_pledgee = bank_a_web.post(page_of(open_listing, "bids"), {"amount": "616000.00"})
    assert by_pledgee.status_code == 403
    # The IP office holds no bidding permission: no form, and a post is refused.
    office = client_for(office_user)
    assert 'data-testid="bid-form"' not in office.get(page_of(open_listing)).content.decode()
    assert office.post(page_of(open_listing, "bids"), {"amount": "616000.00"}).status_code == 403
    assert not Bid.objects.exists()


def test_no_bid_after_the_close_and_anonymous_is_sent_to_log_in(
    listing: Disposal, open_listing: Disposal, firm: Client, anonymous: Client
) -> None:
    # `listing` closed eight days ago.
    assert 'data-testid="bid-form"' not in firm.get(page_of(listing)).content.decode()
    closed = firm.post(page_of(listing, "bids"), {"amount": "616000.00"})
    assert closed.status_code == 409 and "竞价已于" in visible_text(closed)
    invite = anonymous.get(page_of(open_listing)).content.decode()
    assert 'data-testid="bid-login"' in invite and 'data-testid="bid-form"' not in invite
    redirected = anonymous.post(page_of(open_listing, "bids"), {"amount": "616000.00"})
    assert redirected.status_code == 302 and "/login/" in redirected["Location"]
    assert anonymous.get(f"{BOARD}99999/").status_code == 404
    assert not Bid.objects.exists()


# --- completion ----------------------------------------------------------------------------------


def test_the_pledgee_completes_after_the_close_and_the_settlement_is_the_parties_issue12(
    open_listing: Disposal,
    firm: Client,
    bank_a_web: Client,
    anonymous: Client,
    client_for: Callable[[User], Client],
    bank_b_user: User,
    enterprise_a_user: User,
) -> None:
    assert firm.post(page_of(open_listing, "bids"), {"amount": "900000.00"}).status_code == 302
    done_url = page_of(open_listing, "complete")
    # While bidding is open: no form, and a post is refused with the service's message.
    assert 'data-testid="complete-form"' not in html_of(bank_a_web, page_of(open_listing))
    early = bank_a_web.post(done_url, {})
    assert early.status_code == 409 and "竞价尚未截止" in visible_text(early)
    # A test shortcut: the close moved into the past with an ORM update (the bidding itself is
    # the service's, above; waiting two days is not an option in a test).
    Disposal.objects.filter(pk=open_listing.pk).update(
        closes_at=timezone.now() - timedelta(minutes=1)
    )
    page = bank_a_web.get(page_of(open_listing))
    html = page.content.decode()
    assert 'data-testid="complete-form"' in html
    confirm = re.search(r'data-testid="complete-form" data-confirm="([^"]*)"', html)
    assert confirm and "乙制造有限公司" in confirm.group(1) and "90.00 万元" in confirm.group(1)
    assert all(what in confirm.group(1) for what in ("登记转让", "注销", "清偿贷款", "不能撤销"))
    # Nobody else sees the form or may complete: another bank (404), the bidder (403).
    other_bank = client_for(bank_b_user)
    assert 'data-testid="complete-form"' not in html_of(other_bank, page_of(open_listing))
    assert other_bank.post(done_url, {}).status_code == 404
    assert firm.post(done_url, {}).status_code == 403
    costly = bank_a_web.post(done_url, {"disposal_costs": "900000.01"})
    assert costly.status_code == 422
    assert "处置费用不能超过成交价" in field_errors(costly, "disposal_costs")
    assert Disposal.objects.get(pk=open_listing.pk).state == "listed"

    done = bank_a_web.post(done_url, {"disposal_costs": "20000.00"})
    assert done.status_code == 302
    sold = Disposal.objects.get(pk=open_listing.pk)
    assert (sold.state, sold.price, sold.disposal_costs) == (
        "completed",
        Decimal("900000.00"),
        Decimal("20000.00"),
    )
    mine = bank_a_web.get(page_of(open_listing))
    text = visible_text(mine)
    assert "已成交" in text and "成交价的分配" in text and "已成交：" in text
    assert 'data-testid="complete-form"' not in mine.content.decode()
    # The pledgor reads how the price was applied; the public sees the sale without it.
    assert (
        'data-testid="settlement"'
        in client_for(enterprise_a_user).get(page_of(open_listing)).content.decode()
    )
    public = anonymous.get(page_of(open_listing)).content.decode()
    assert 'data-testid="settlement"' not in public and 'data-testid="buyer"' in public
    assert 'data-testid="settlement"' not in firm.get(page_of(open_listing)).content.decode()


def test_a_closed_listing_without_a_bid_tells_the_pledgee_of_the_backstop(
    listing: Disposal, bank_a_web: Client
) -> None:
    page = bank_a_web.get(page_of(listing)).content.decode()
    assert 'data-testid="no-bid"' in page and 'data-testid="complete-form"' not in page
    refused = bank_a_web.post(page_of(listing, "complete"), {})
    assert refused.status_code == 409 and "无人出价" in visible_text(refused)


# --- backstop (收储) ------------------------------------------------------------------------------


def test_the_trading_centre_backstops_after_180_days_then_the_pledgee_completes_issue12(
    list_pledge: Callable[..., Disposal],
    open_listing: Disposal,
    client_for: Callable[[User], Client],
    centre_user: User,
    bank_a_web: Client,
    firm: Client,
) -> None:
    centre = client_for(centre_user)
    young = centre.get(page_of(open_listing)).content.decode()
    assert 'data-testid="backstop-form"' not in young and 'data-testid="backstop-wait"' in young
    early = centre.post(page_of(open_listing, "backstop"), {"price": "500000.00"})
    assert early.status_code == 409 and "收储" in visible_text(early)

    day = open_backstop_day()
    old = list_pledge(listed_on=day, today=day)
    page = centre.get(page_of(old)).content.decode()
    assert 'data-testid="backstop-form"' in page and "data-confirm=" in page
    assert 'data-testid="backstop-form"' not in firm.get(page_of(old)).content.decode()
    assert firm.post(page_of(old, "backstop"), {"price": "500000.00"}).status_code == 403
    bad = centre.post(page_of(old, "backstop"), {"price": "abc"})
    assert bad.status_code == 400 and "请输入金额" in field_errors(bad, "price")
    bought = centre.post(page_of(old, "backstop"), {"price": "500000.00"})
    assert bought.status_code == 302
    assert "已收储，待成交" in visible_text(centre.get(page_of(old)))
    # The pledgee completes the backstopped sale.
    assert 'data-testid="complete-form"' in bank_a_web.get(page_of(old)).content.decode()
    assert bank_a_web.post(page_of(old, "complete"), {}).status_code == 302
    assert Disposal.objects.get(pk=old.pk).state == "completed"


# --- withdrawal (撤回挂牌) -----------------------------------------------------------------------


def test_the_pledgee_withdraws_on_the_listing_page_with_its_reason_minfadian_art436_issue13(
    open_listing: Disposal,
    client_for: Callable[[User], Client],
    bank_a_web: Client,
    firm: Client,
    anonymous: Client,
    bank_b_user: User,
    enterprise_a_user: User,
) -> None:
    assert firm.post(page_of(open_listing, "bids"), {"amount": "616000.00"}).status_code == 302
    withdraw_url = page_of(open_listing, "withdraw")
    html = html_of(bank_a_web, page_of(open_listing))
    assert 'data-testid="withdraw-form"' in html
    confirm = re.search(r'data-testid="withdraw-form" data-confirm="([^"]*)"', html)
    assert confirm and all(what in confirm.group(1) for what in ("撤回挂牌", "出价", "不能恢复"))
    # Nobody else sees the form or may withdraw: another bank (404), the bidder (403).
    other_bank = client_for(bank_b_user)
    for client in (other_bank, firm, anonymous, client_for(enterprise_a_user)):
        assert 'data-testid="withdraw-form"' not in html_of(client, page_of(open_listing))
    assert other_bank.post(withdraw_url, {"reason": "x"}).status_code == 404
    assert firm.post(withdraw_url, {"reason": "x"}).status_code == 403
    blank = bank_a_web.post(withdraw_url, {"reason": "  "})
    assert blank.status_code == 400 and field_errors(blank, "reason")
    assert 'data-testid="withdraw-form"' in blank.content.decode()  # the form again, in place
    assert_no_codes(blank)
    assert Disposal.objects.get(pk=open_listing.pk).state == "listed"

    done = bank_a_web.post(withdraw_url, {"reason": "借款人已全额还款，贷款已结清"})
    assert done.status_code == 302 and done["Location"] == page_of(open_listing)
    assert Disposal.objects.get(pk=open_listing.pk).state == "withdrawn"
    mine = bank_a_web.get(page_of(open_listing))
    text = visible_text(mine)
    assert "已撤回挂牌" in text and "已撤回" in text and "借款人已全额还款，贷款已结清" in text
    html = mine.content.decode()
    assert 'data-testid="withdraw-form"' not in html and 'data-testid="complete-form"' not in html
    assert_no_codes(mine)
    # The pledgor reads the reason; the public and the bidder see the state, not the reason.
    pledgor = visible_text(client_for(enterprise_a_user).get(page_of(open_listing)))
    assert "借款人已全额还款，贷款已结清" in pledgor
    for client in (anonymous, firm):
        page = client.get(page_of(open_listing))
        assert "已撤回" in visible_text(page) and "借款人已全额还款" not in visible_text(page)
        assert 'data-testid="bid-form"' not in page.content.decode()
        assert_no_codes(page)
    # The board lists it in its state, like a completed listing.
    board = anonymous.get(BOARD, {"state": "withdrawn"})
    assert f'data-disposal="{open_listing.pk}"' in board.content.decode()
    assert "已撤回" in visible_text(board)
    assert_no_codes(board)
    again = bank_a_web.post(withdraw_url, {"reason": "再次撤回"})
    assert again.status_code == 409 and "不能撤回挂牌" in visible_text(again)


def test_the_pledgee_declines_a_backstop_on_the_listing_page_minfadian_art444(
    list_pledge: Callable[..., Disposal],
    client_for: Callable[[User], Client],
    centre_user: User,
    bank_a_web: Client,
) -> None:
    day = open_backstop_day()
    old = list_pledge(listed_on=day, today=day)
    centre = client_for(centre_user)
    assert centre.post(page_of(old, "backstop"), {"price": "500000.00"}).status_code == 302
    html = html_of(bank_a_web, page_of(old))
    assert 'data-testid="complete-form"' in html and 'data-testid="withdraw-form"' in html
    confirm = re.search(r'data-testid="withdraw-form" data-confirm="([^"]*)"', html)
    assert confirm and "收储" in confirm.group(1)
    done = bank_a_web.post(page_of(old, "withdraw"), {"reason": "不同意按收储价格成交"})
    assert done.status_code == 302
    page = bank_a_web.get(page_of(old))
    assert 'data-testid="complete-form"' not in page.content.decode()
    assert 'data-testid="buyer"' not in page.content.decode()
    refused = bank_a_web.post(page_of(old, "complete"), {})
    assert refused.status_code == 409
    assert Disposal.objects.get(pk=old.pk).state == "withdrawn"


# --- the listing form ----------------------------------------------------------------------------


def listing_form(pledge: Pledge, valuation_id: int, **kw: Any) -> dict[str, Any]:
    """The listing form's fields: the close as the browser's date-and-time input sends it."""
    closes = timezone.localtime(opening(days_ago(0)) + timedelta(days=3))
    return listing_body(pledge, valuation_id, closes_at=closes.strftime("%Y-%m-%dT%H:%M"), **kw)


def test_the_pledgee_lists_a_defaulted_pledge_with_errors_next_to_fields_issue12_issue13(
    defaulted: Callable[..., tuple[Pledge, Right, Loan]],
    value_on: Callable[..., Any],
    bank_a_web: Client,
    firm: Client,
) -> None:
    pledge, right, _loan = defaulted()
    other, other_right, other_loan = defaulted()
    performing, _r, _l = defaulted(category=None)
    valuation = value_on([right], days_ago(1))
    stale = value_on([right], days_ago(400))
    # Two pledges to list: none is chosen until the bank chooses (or comes with ?pledge=).
    both = bank_a_web.get(NEW).content.decode()
    assert 'value="" selected' in select_of(both, "pledge_id")
    form = bank_a_web.get(NEW, {"pledge": pledge.pk})
    assert form.status_code == 200
    html = form.content.decode()
    pledges, valuations = select_of(html, "pledge_id"), select_of(html, "valuation_id")
    assert f'<option value="{pledge.pk}" selected>' in pledges
    assert f'value="{performing.pk}"' not in pledges  # a performing loan's pledge: not offered
    # The latest valuation it may rely on is chosen (the loan approval's, made today).
    assert re.search(r'<option value="\d+" selected>', valuations)
    assert f'<option value="{valuation.pk}">' in valuations
    assert f'value="{stale.pk}"' not in valuations  # based more than 12 months ago
    assert 'type="datetime-local"' in html and "data-confirm=" in html

    low = bank_a_web.post(NEW, listing_form(pledge, valuation.pk, reserve_price="615999.99"))
    assert low.status_code == 422
    assert "616,000.00 元" in field_errors(low, "reserve_price")
    soon = listing_form(pledge, valuation.pk)
    soon["closes_at"] = timezone.localtime(opening(days_ago(0)) + timedelta(hours=23)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    too_soon = bank_a_web.post(NEW, soon)
    assert too_soon.status_code == 422
    assert "不少于 24 小时" in field_errors(too_soon, "closes_at")
    shape = bank_a_web.post(NEW, listing_form(pledge, valuation.pk, increment="1,000"))
    assert shape.status_code == 400 and "千位分隔符" in field_errors(shape, "increment")
    mismatch = bank_a_web.post(NEW, listing_form(other, valuation.pk))  # the other pledge's
    assert mismatch.status_code == 422
    assert "全部知识产权一致" in field_errors(mismatch, "valuation_id")
    assert not Disposal.objects.exists()

    made = bank_a_web.post(NEW, listing_form(pledge, valuation.pk))
    assert made.status_code == 302
    disposal = Disposal.objects.get(pledge=pledge)
    assert made["Location"] == page_of(disposal)
    assert (disposal.method, disposal.reserve_price) == ("listing", Decimal("616000.00"))
    # Listed: no longer offered. The other pledge, the only one left, is chosen; once its
    # valuations are old (a test shortcut: their base date moved back with an ORM update), the
    # page says to value its rights first.
    left = bank_a_web.get(NEW).content.decode()
    assert f'value="{pledge.pk}"' not in select_of(left, "pledge_id")
    assert f'<option value="{other.pk}" selected>' in select_of(left, "pledge_id")
    Valuation.objects.filter(items__right__pledge_items__pledge=other).update(
        valuation_date=days_ago(400)
    )
    unvalued = bank_a_web.get(NEW).content.decode()
    assert 'data-testid="unvalued"' in unvalued and other.registration_no in unvalued
    assert f'href="/valuations/right/{other_right.number}/"' in unvalued
    Loan.objects.filter(pk=other_loan.pk).update(classification="normal")  # shortcut: cured
    assert 'data-testid="no-listable"' in bank_a_web.get(NEW).content.decode()
    assert firm.get(NEW).status_code == 403


# --- no internal codes (issue 13) ----------------------------------------------------------------


def test_no_internal_code_is_shown_on_the_disposal_pages_issue13(
    list_pledge: Callable[..., Disposal],
    open_listing: Disposal,
    listing: Disposal,
    bid: Callable[..., Any],
    client_for: Callable[[User], Client],
    anonymous: Client,
    bank_a_web: Client,
    firm: Client,
    centre_user: User,
    enterprise_a_user: User,
    enterprise_b_user: User,
    defaulted: Callable[..., tuple[Pledge, Right, Loan]],
    value_on: Callable[..., Any],
) -> None:
    firm.post(page_of(open_listing, "bids"), {"amount": "616000.00"})
    bid(enterprise_b_user, "900000.00")  # on `listing`, closed: the pledgee completes it
    bank_a_web.post(page_of(listing, "complete"), {"disposal_costs": "1000.00"})
    day = open_backstop_day()
    old = list_pledge(listed_on=day, today=day, method="reverse_licence")
    centre = client_for(centre_user)
    centre.post(page_of(old, "backstop"), {"price": "500000.00"})
    pledge, right, _loan = defaulted()
    value_on([right], days_ago(1))
    assert [d.state for d in Disposal.objects.order_by("pk")] == [
        "listed",
        "completed",
        "backstopped",
    ]
    # A refused bid and a form with errors show no code either.
    low = firm.post(page_of(open_listing, "bids"), {"amount": "1.00"})
    assert low.status_code == 409
    assert_no_codes(low)
    bad = bank_a_web.post(NEW, {"pledge_id": pledge.pk, "method": "auction"})
    assert bad.status_code == 400
    assert_no_codes(bad)
    for client in (anonymous, bank_a_web, firm, centre, client_for(enterprise_a_user)):
        for path in [BOARD, *(page_of(d) for d in Disposal.objects.all())]:
            response = client.get(path)
            assert response.status_code == 200, path
            assert_no_codes(response)
    assert_no_codes(bank_a_web.get(NEW, {"pledge": pledge.pk}))
