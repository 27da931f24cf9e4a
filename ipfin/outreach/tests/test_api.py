"""The library's REST API over the real HTTP stack (Django's test client, bearer tokens, the real
database): the JSON contract, every status each endpoint answers (401 / 403 / 404 / 409 / 422),
public reads without a token, contacts masked for the public and whole in the office's pick,
and the list endpoints' queries the same at two sizes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.outreach.models import Article, Event, EventRegistration, Expert, ExpertPick
from ipfin.outreach.services import event_create

pytestmark = pytest.mark.django_db
Client = Callable[[User | None], Any]
BASE = "/api/v1/outreach"

ARTICLE = {
    "kind": "case",
    "title": "首贷案例",
    "summary": "以专利获得首贷",
    "body": "正文",
    "tags": ["首贷", "g06f"],
    "region": "北京市海淀区",
}


def _code(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


# --- articles ------------------------------------------------------------------------------------


def test_the_office_writes_a_draft_and_publishes_it(api_client: Client, office_user: User) -> None:
    office = api_client(office_user)
    created = office.post_json(f"{BASE}/articles", ARTICLE)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body == {
        "id": body["id"],
        "kind": "case",
        "kind_label": "典型案例",
        "title": "首贷案例",
        "summary": "以专利获得首贷",
        "body": "正文",
        "tags": ["首贷", "G06F"],
        "region": "北京市海淀区",
        "state": "draft",
        "state_label": "草稿",
        "published_at": None,
    }
    anonymous = api_client(None)
    assert anonymous.get(f"{BASE}/articles/{body['id']}").status_code == 404  # a draft
    assert anonymous.get(f"{BASE}/articles").json()["items"] == []
    published = office.post_json(f"{BASE}/articles/{body['id']}/publish")
    assert published.status_code == 200, published.content
    assert published.json()["state"] == "published" and published.json()["published_at"]
    assert _code(office.post_json(f"{BASE}/articles/{body['id']}/publish")) == (
        409,
        "illegal_transition",
    )
    read = anonymous.get(f"{BASE}/articles/{body['id']}")
    assert read.status_code == 200 and read.json()["title"] == "首贷案例"
    listed = anonymous.get(f"{BASE}/articles").json()
    assert (listed["count"], listed["page"], listed["pages"]) == (1, 1, 1)
    assert [a["id"] for a in listed["items"]] == [body["id"]]


def test_others_may_not_write_articles_and_nothing_changes(
    api_client: Client,
    bank_a_user: User,
    enterprise_a_user: User,
    make_article: Callable[..., Article],
) -> None:
    draft = make_article(publish=False)
    published = make_article()
    for user in (bank_a_user, enterprise_a_user):
        client = api_client(user)
        assert _code(client.post_json(f"{BASE}/articles", ARTICLE)) == (403, "forbidden")
        assert client.post_json(f"{BASE}/articles/{draft.pk}/publish").status_code == 404
        assert _code(client.post_json(f"{BASE}/articles/{published.pk}/publish")) == (
            403,
            "forbidden",
        )
    anonymous = api_client(None)
    assert anonymous.post_json(f"{BASE}/articles", ARTICLE).status_code == 401
    assert anonymous.post_json(f"{BASE}/articles/{draft.pk}/publish").status_code == 401
    assert Article.objects.count() == 2
    draft.refresh_from_db()
    assert draft.state == "draft"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "  "}, "title"),  # the service: blank after trimming
        ({"tags": ["x" * 51]}, "tags"),
        ({"region": "省" * 101}, "region"),  # the schema's bound
        ({"kind": "news"}, "kind"),
    ],
)
def test_article_input_is_a_422(
    api_client: Client, office_user: User, change: dict[str, Any], field: str
) -> None:
    response = api_client(office_user).post_json(f"{BASE}/articles", {**ARTICLE, **change})
    assert response.status_code == 422, response.content
    assert field in response.content.decode()
    assert not Article.objects.exists()


def test_article_reads_404_and_the_office_reads_its_drafts(
    api_client: Client,
    office_user: User,
    bank_a_user: User,
    make_article: Callable[..., Article],
) -> None:
    draft = make_article(publish=False, title="草稿")
    make_article(title="已发布")
    anonymous, bank, office = api_client(None), api_client(bank_a_user), api_client(office_user)
    assert anonymous.get(f"{BASE}/articles/999999").status_code == 404
    assert _code(bank.get(f"{BASE}/articles/{draft.pk}")) == (404, "article_not_found")
    assert office.get(f"{BASE}/articles/{draft.pk}").json()["state"] == "draft"
    assert anonymous.get(f"{BASE}/articles?state=draft").status_code == 401
    assert _code(bank.get(f"{BASE}/articles?state=draft")) == (403, "forbidden")
    drafts = office.get(f"{BASE}/articles?state=draft").json()["items"]
    assert [a["title"] for a in drafts] == ["草稿"]
    assert anonymous.get(f"{BASE}/articles?state=nonsense").status_code == 422
    assert anonymous.get(f"{BASE}/articles?kind=news").status_code == 422
    assert anonymous.get(f"{BASE}/articles?page_size=0").status_code == 422
    assert anonymous.get(f"{BASE}/articles?page_size=101").status_code == 422
    found = anonymous.get(f"{BASE}/articles", {"q": "已发布", "tag": "首贷", "region": "北京"})
    assert [a["title"] for a in found.json()["items"]] == ["已发布"]


def test_the_lists_read_the_same_queries_at_two_sizes(
    api_client: Client,
    make_article: Callable[..., Article],
    make_event: Callable[..., Event],
    make_expert: Callable[..., Expert],
    count_queries: Callable[[Callable[[], object]], int],
) -> None:
    anonymous = api_client(None)
    sizes = []
    for n in (1, 6):
        while Article.objects.count() < n:
            make_article(tags=["首贷", f"t{Article.objects.count()}"])
            make_event()
            make_expert(fields=["G06F", "H01L"])
        sizes.append(
            tuple(
                count_queries(partial(anonymous.get, f"{BASE}/{what}"))
                for what in ("articles", "events", "experts")
            )
        )
    assert sizes[0] == sizes[1], sizes
    assert len(anonymous.get(f"{BASE}/experts").json()["items"]) == 6


# --- events and registration ---------------------------------------------------------------------


def _open_event(office_user: User, capacity: int = 2, **kw: Any) -> Event:
    """An event open on the real clock: registration closes in a day."""
    from ipfin.outreach.services import event_publish

    now = timezone.now()
    event = event_create(
        actor=office_user,
        kind="park_roadshow",
        title="入园惠企路演",
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=2),
        venue="园区",
        capacity=capacity,
        registration_deadline=now + timedelta(days=1),
        **kw,
    )
    return event_publish(actor=office_user, event=event)


def test_events_list_with_places_and_registration(
    api_client: Client, office_user: User, enterprise_a_user: User, enterprise_a: Any
) -> None:
    event = _open_event(office_user)
    anonymous = api_client(None)
    (item,) = anonymous.get(f"{BASE}/events").json()["items"]
    assert (item["id"], item["capacity"], item["registered"], item["places_left"]) == (
        event.pk,
        2,
        0,
        2,
    )
    assert item["registration_open"] is True and item["kind_label"] == "入园惠企路演"
    firm = api_client(enterprise_a_user)
    url = f"{BASE}/events/{event.pk}/registrations"
    made = firm.post_json(url, {"attendee_name": "周总", "phone": "138 0013 8000"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["organisation"] == {"id": enterprise_a.pk, "name": enterprise_a.name}
    assert (body["attendee_name"], body["phone"], body["attended"]) == (
        "周总",
        "13800138000",
        False,
    )
    again = firm.post_json(url, {"attendee_name": "周总", "phone": "13800138000"})
    assert _code(again) == (409, "already_registered")
    assert again.json()["field"] == "attendee_name"
    (item,) = anonymous.get(f"{BASE}/events").json()["items"]
    assert (item["registered"], item["places_left"]) == (1, 1)


def test_registration_refusals(
    api_client: Client,
    office_user: User,
    enterprise_a_user: User,
    bank_a_user: User,
    make_user: Callable[..., User],
    make_event: Callable[..., Event],
) -> None:
    event = _open_event(office_user, capacity=1)
    url = f"{BASE}/events/{event.pk}/registrations"
    ok = {"attendee_name": "甲", "phone": "13800138000"}
    assert api_client(None).post_json(url, ok).status_code == 401
    loner = api_client(make_user("loner", None))
    assert _code(loner.post_json(url, ok)) == (403, "no_organisation")
    firm = api_client(enterprise_a_user)
    bad_phone = firm.post_json(url, {**ok, "phone": "12345"})
    assert _code(bad_phone) == (422, "phone_invalid") and bad_phone.json()["field"] == "phone"
    assert firm.post_json(url, {"phone": "13800138000"}).status_code == 422  # no name
    assert firm.post_json(url, ok).status_code == 201
    assert _code(api_client(bank_a_user).post_json(url, ok)) == (409, "event_full")
    draft = make_event(publish=False)
    missing = firm.post_json(f"{BASE}/events/{draft.pk}/registrations", ok)
    assert _code(missing) == (404, "event_not_found")
    assert firm.post_json(f"{BASE}/events/999999/registrations", ok).status_code == 404
    assert EventRegistration.objects.count() == 1


# --- experts -------------------------------------------------------------------------------------


def test_the_public_sees_experts_with_masked_contacts(
    api_client: Client, make_expert: Callable[..., Expert]
) -> None:
    make_expert("王立新", ["g06f", "软件"], phone="13800138001", email="wang@example.com")
    make_expert("赵磊", ["C08K"], pool="talent", phone="", email="")
    response = api_client(None).get(f"{BASE}/experts")
    assert response.status_code == 200
    assert "13800138001" not in response.content.decode()
    assert "wang@example.com" not in response.content.decode()
    items = {x["name"]: x for x in response.json()["items"]}
    assert items["王立新"]["phone"] == "138****8001"
    assert items["王立新"]["email"] == "w***@example.com"
    assert items["王立新"]["fields"] == ["G06F", "软件"]
    assert (items["赵磊"]["phone"], items["赵磊"]["pool_label"]) == ("", "人才库")
    talents = api_client(None).get(f"{BASE}/experts?pool=talent&field=c08k").json()["items"]
    assert [x["name"] for x in talents] == ["赵磊"]
    assert api_client(None).get(f"{BASE}/experts?pool=board").status_code == 422


def test_the_office_picks_experts_and_gets_their_contacts(
    api_client: Client,
    office_user: User,
    bank_a_user: User,
    make_expert: Callable[..., Expert],
) -> None:
    first = make_expert("甲", ["G06F"], phone="13800138001")
    make_expert("乙", ["G06F"], phone="13800138002")
    office = api_client(office_user)
    body = {"field": "g06f", "count": 1, "purpose": "评估复核"}
    response = office.post_json(f"{BASE}/experts/pick", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["field"], data["purpose"]) == ("G06F", "评估复核")
    assert [(x["id"], x["phone"], x["pick_count"]) for x in data["experts"]] == [
        (first.pk, "13800138001", 1)
    ]
    second = office.post_json(f"{BASE}/experts/pick", body).json()["experts"]
    assert [x["name"] for x in second] == ["乙"]
    too_many = office.post_json(f"{BASE}/experts/pick", {**body, "count": 3})
    assert _code(too_many) == (422, "not_enough_experts")
    assert too_many.json()["available"] == 2
    assert office.post_json(f"{BASE}/experts/pick", {**body, "count": 0}).status_code == 422
    assert _code(api_client(bank_a_user).post_json(f"{BASE}/experts/pick", body)) == (
        403,
        "forbidden",
    )
    assert api_client(None).post_json(f"{BASE}/experts/pick", body).status_code == 401
    assert ExpertPick.objects.count() == 2


# --- the document ---------------------------------------------------------------------------------


def test_the_document_declares_the_public_reads_without_security(api_client: Client) -> None:
    document = api_client(None).get("/api/schema").json()
    paths = document["paths"]
    for path in ("/articles", "/articles/{article_id}", "/events", "/experts"):
        operation = paths[f"{BASE}{path}"]["get"]
        assert "security" not in operation, path
    assert "403" in paths[f"{BASE}/articles"]["get"]["responses"]
    for path in ("/articles", "/articles/{article_id}/publish", "/experts/pick",
                 "/events/{event_id}/registrations"):  # fmt: skip
        operation = paths[f"{BASE}{path}"]["post"]
        assert operation["security"] == [{"ApiAuth": []}, {"session": []}], path
        assert {"401", "403", "409", "422"} <= set(operation["responses"]), path
