"""An examiner records a transfer or a licence on the right's page, with its optional price
(转让价款 / 许可使用费), and the price shows in the event timeline and the licence table."""

from __future__ import annotations

import html as html_lib
from collections.abc import Callable
from typing import Any

from django.test import Client
from django.utils import timezone

from ipfin.accounts.models import Organisation, User
from ipfin.registry.models import Right, RightEvent, RightOwner


def _page(client: Client, right: Right) -> str:
    response = client.get(f"/rights/{right.number}/")
    assert response.status_code == 200
    return html_lib.unescape(response.content.decode())


def test_examiner_records_a_transfer_with_its_price(
    client_for: Callable[[User], Client], examiner: User, patent: Right
) -> None:
    client = client_for(examiner)
    assert 'data-testid="right-event-form"' in _page(client, patent)
    response = client.post(
        f"/rights/{patent.number}/",
        {
            "type": "transfer",
            "date": timezone.localdate().isoformat(),
            "owner_name": "乙科技有限公司",
            "price": "1200000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = RightEvent.objects.get(right=patent, type="transfer")
    assert event.payload["price"] == "1200000.00"  # stored as the canonical text in yuan
    assert RightOwner.objects.get(right=patent, valid_to__isnull=True).name == "乙科技有限公司"
    timeline = _page(client, patent)
    # 1,200,000 yuan ≥ 10,000: shown in 万元, 1,200,000 / 10,000 = 120.00.
    assert "受让人：乙科技有限公司；转让价款 120.00 万元" in timeline


def test_examiner_records_a_licence_with_its_price_and_without(
    client_for: Callable[[User], Client], examiner: User, patent: Right
) -> None:
    client = client_for(examiner)
    today = timezone.localdate().isoformat()
    base = {"type": "licence", "date": today, "licence_type": "ordinary", "licensee": "丙公司"}
    assert client.post(f"/rights/{patent.number}/", {**base, "price": "9999.5"}).status_code == 302
    assert (
        client.post(f"/rights/{patent.number}/", {**base, "licensee": "丁公司"}).status_code == 302
    )
    prices = [
        e.payload.get("price") for e in RightEvent.objects.filter(type="licence").order_by("pk")
    ]
    assert prices == ["9999.50", None]
    page = _page(client, patent)
    # 9,999.50 < 10,000: shown in 元.
    assert "被许可人：丙公司；许可使用费 9,999.50 元" in page
    assert "被许可人：丁公司" in page and "丁公司；许可使用费" not in page


def test_a_bad_price_is_a_form_error_and_records_nothing(
    client_for: Callable[[User], Client], examiner: User, patent: Right
) -> None:
    before = RightEvent.objects.count()
    response = client_for(examiner).post(
        f"/rights/{patent.number}/",
        {
            "type": "transfer",
            "date": timezone.localdate().isoformat(),
            "owner_name": "乙科技有限公司",
            "price": "1,200,000",
        },
    )
    assert response.status_code == 400  # the page again, the form's mistake next to its input
    assert "请不要输入千位分隔符" in response.content.decode()
    assert RightEvent.objects.count() == before


def test_only_the_registry_writer_sees_and_uses_the_form(
    client_for: Callable[[User], Client],
    bank_a_user: User,
    patent: Right,
    enterprise_a: Organisation,
) -> None:
    bank = client_for(bank_a_user)
    assert 'data-testid="right-event-form"' not in _page(bank, patent)
    assert 'data-testid="right-event-form"' not in _page(Client(), patent)
    before = RightEvent.objects.count()
    data: dict[str, Any] = {
        "type": "transfer",
        "date": timezone.localdate().isoformat(),
        "owner_name": "乙科技有限公司",
        "price": "100",
    }
    assert bank.post(f"/rights/{patent.number}/", data).status_code == 403
    assert Client().post(f"/rights/{patent.number}/", data).status_code in (302, 401)
    assert RightEvent.objects.count() == before
    assert RightOwner.objects.get(right=patent, valid_to__isnull=True).name == enterprise_a.name


def test_examiner_records_term_compensation_on_the_page_zlf_art42(
    client_for: Callable[[User], Client], examiner: User, patent: Right
) -> None:
    client = client_for(examiner)
    before = _page(client, patent)
    response = client.post(
        f"/rights/{patent.number}/",
        {
            "type": "term_compensation",
            "date": timezone.localdate().isoformat(),
            "compensation_days": "120",
            "compensation_kind": "grant_delay",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert RightEvent.objects.get(right=patent, type="term_compensation").payload == {
        "days": 120,
        "kind": "grant_delay",
    }
    page = _page(client, patent)
    assert 'data-testid="term-compensation"' in page and "含专利权期限补偿 120 天" in page
    assert "补偿 120 天" in page and "专利法第四十二条第二款" in page
    assert 'data-testid="term-compensation"' not in before


def test_examiner_records_a_copyright_author_and_the_term_follows_zzf_art23(
    client_for: Callable[[User], Client], examiner: User, enterprise_a: Organisation
) -> None:
    from ipfin.registry.services import right_create

    work = right_create(
        actor=examiner,
        number="2019SR0765432",
        kind="copyright",
        title="示范软件",
        filing_date=timezone.localdate().replace(year=2019),
        grant_date=None,
        owners=[{"name": enterprise_a.name, "uscc": enterprise_a.uscc}],
    )
    client = client_for(examiner)
    page = _page(client, work)
    assert 'data-testid="term-unknown"' in page  # whose work it is is not recorded: no date
    assert 'name="terms-author_kind"' in page and 'name="terms-first_commercial_use"' not in page
    response = client.post(
        f"/rights/{work.number}/",
        {
            "form": "term_facts",
            "terms-author_kind": "organisation",
            "terms-first_published_on": "2018-03-01",
            "terms-created_on": "2018-01-01",
            "terms-version": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = _page(client, work)
    assert 'data-testid="term-unknown"' not in page
    assert "2068-12-31" in page  # 31 December of the 50th year after 2018
    refused = client.post(
        f"/rights/{work.number}/",
        {
            "form": "term_facts",
            "terms-author_kind": "organisation",
            "terms-author_died_on": "2020-01-01",
            "terms-version": "2",
        },
        follow=True,
    )
    assert "只有自然人作品记载作者死亡日期" in html_lib.unescape(refused.content.decode())
    work.refresh_from_db()
    assert work.author_died_on is None


def test_only_the_office_sees_and_posts_the_term_facts_form(
    client_for: Callable[[User], Client], bank_a_user: User, patent: Right
) -> None:
    client = client_for(bank_a_user)
    assert 'data-testid="right-term-facts-form"' not in _page(client, patent)
    response = client.post(f"/rights/{patent.number}/", {"form": "term_facts"})
    assert response.status_code == 403
