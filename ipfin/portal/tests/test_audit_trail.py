"""The audit trail page (/audit/) and the home page's audit panel show labels, never the codes the
records store (issue 13): the action by its label (an old record's unknown code only in a
`title`), the object as "<label> #id" linked to its page, the filters as selects of labels whose
values are the codes; English with the language cookie."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from ipfin.accounts.models import User
from ipfin.audit.models import AuditRecord
from ipfin.audit.services import audit_record
from ipfin.pledges.models import Pledge
from ipfin.pledges.tests.factories import approve
from ipfin.registry.models import Right

pytestmark = pytest.mark.django_db

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
CODE = re.compile(r"\b[a-z_]+\.[a-z_]+\b")
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")


class _Text(HTMLParser):
    """The text a reader sees: text nodes outside script and style (no attribute values)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0
        self.cells: dict[str, list[str]] = {}
        self._cell: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        testid = dict(attrs).get("data-testid")
        if tag == "td" and testid in ("audit-action", "audit-object"):
            self._cell = testid
            self.cells.setdefault(testid, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        if tag == "td":
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.parts.append(data)
        if self._cell is not None:
            self.cells[self._cell][-1] += data


def _read(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


def _page_text(html: str) -> str:
    """The page's text without the usernames (what people chose to be called, not codes)."""
    text = " ".join(_read(html).parts)
    for username in sorted(User.objects.values_list("username", flat=True), key=len)[::-1]:
        text = text.replace(username, "")
    return text


@pytest.fixture
def trail(make_pledge: Any, examiner: User, bank_a_user: User) -> dict[str, Any]:
    """A trail of several kinds of record: a pledge filed, confirmed and registered through the
    services, and records of the register, the daily scan, an import and an old unknown code."""
    pledge = approve(examiner, make_pledge())
    right = pledge.items.get().right
    audit_record(actor=examiner, action="right.event.transfer", obj=right)
    audit_record(actor=examiner, action="pledge.change_approve", obj=pledge)
    audit_record(actor=None, action="risk.scan", object_type="risk.scan", object_id="2025-03-31")
    audit_record(actor=None, action="registry.import", object_type="registry.right",
                 object_id="cn-patents-cnipr-export")  # fmt: skip
    audit_record(actor=bank_a_user, action="legacy.thing_done", object_type="legacy.thing",
                 object_id=5)  # fmt: skip
    return {"pledge": pledge, "right": right}


def test_the_trail_shows_labels_and_linked_objects_not_codes(
    client_for: Any, examiner: User, trail: dict[str, Any]
) -> None:
    pledge: Pledge = trail["pledge"]
    right: Right = trail["right"]
    resp = client_for(examiner).get("/audit/")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert html.count("<tr data-seq=") == AuditRecord.objects.count() >= 10
    read = _read(html)
    actions, objects = read.cells["audit-action"], read.cells["audit-object"]
    for label in ("准予质押登记", "核准质押变更", "记载权利事件：转让", "提交质押登记申请",
                  "每日风险扫描", "导入登记数据", "其他操作"):  # fmt: skip
        assert label in actions, label
    for text in (f"质押登记 #{pledge.pk}", f"知识产权 #{right.pk}", "风险扫描 2025-03-31",
                 "数据来源：CNIPR 专利数据导出"):  # fmt: skip
        assert text in objects, text
    assert f'<a href="/pledges/{pledge.pk}/">质押登记 #{pledge.pk}</a>' in html
    assert f'<a href="/rights/{right.number}/">知识产权 #{right.pk}</a>' in html
    # The unknown code of an old record only in a title; the system's records by a word.
    assert '<span title="legacy.thing_done">其他操作</span>' in html
    text = _page_text(html)
    assert "pledge." not in text and "legacy" not in text
    assert not CODE.findall(text), CODE.findall(text)
    assert not SNAKE.findall(text), SNAKE.findall(text)
    assert "system" not in text and "系统" in text


def test_the_filters_are_selects_of_labels_whose_values_are_the_codes(
    client_for: Any, examiner: User, trail: dict[str, Any]
) -> None:
    client = client_for(examiner)
    html = client.get("/audit/").content.decode()
    assert '<select name="action"' in html and '<select name="object_type"' in html
    assert '<option value="pledge.change_approve">核准质押变更</option>' in html
    assert '<option value="right.event.transfer">记载权利事件：转让</option>' in html
    assert '<option value="pledges.pledge">质押登记</option>' in html
    one = client.get("/audit/", {"action": "pledge.approve"}).content.decode()
    assert one.count("<tr data-seq=") == 1
    assert '<option value="pledge.approve" selected>准予质押登记</option>' in one
    pledge = trail["pledge"]
    by_object = client.get("/audit/", {"object_type": "pledges.pledge", "object_id": pledge.pk})
    assert (
        by_object.content.decode().count("<tr data-seq=")
        == AuditRecord.objects.filter(
            object_type="pledges.pledge", object_id=str(pledge.pk)
        ).count()
    )
    # A code that is no option (an old link): the form says so, the trail is shown whole.
    assert client.get("/audit/", {"action": "legacy.thing_done"}).status_code == 400


def test_in_english_the_trail_reads_in_english(
    client_for: Any, examiner: User, trail: dict[str, Any]
) -> None:
    client = client_for(examiner)
    client.cookies["ipfin_language"] = "en"
    html = client.get("/audit/").content.decode()
    read = _read(html)
    actions, objects = read.cells["audit-action"], read.cells["audit-object"]
    pledge = trail["pledge"]
    for label in ("Pledge registered", "Pledge change approved", "Right event recorded: Transfer",
                  "Other action"):  # fmt: skip
        assert label in actions, label
    assert f"Pledge #{pledge.pk}" in objects
    assert "Risk scan 2025-03-31" in objects
    assert not [cell for cell in actions + objects if CJK.search(cell)]
    assert '<option value="pledge.change_approve">Pledge change approved</option>' in html
    text = _page_text(html)
    assert not SNAKE.findall(text) and not CODE.findall(text)


def test_the_trail_runs_the_same_queries_at_two_sizes(
    client_for: Any, examiner: User, trail: dict[str, Any], count_queries: Any
) -> None:
    """Links need the rights' numbers and the change applications' pledges: one query each for
    the page, not one per row."""
    client = client_for(examiner)
    pledge, right = trail["pledge"], trail["right"]

    def more() -> None:
        audit_record(actor=examiner, action="right.term_facts", obj=right)
        audit_record(actor=examiner, action="pledge.document_upload", obj=pledge)
        audit_record(actor=examiner, action="pledge.change_file",
                     object_type="pledges.pledgechange", object_id=10_000)  # fmt: skip

    more()
    small = count_queries(lambda: client.get("/audit/"))
    for _ in range(5):
        more()
    assert count_queries(lambda: client.get("/audit/")) == small


def test_the_regulator_sees_no_link_to_pages_it_may_not_open(
    client_for: Any, regulator_user: User, trail: dict[str, Any]
) -> None:
    pledge = trail["pledge"]
    html = client_for(regulator_user).get("/audit/").content.decode()
    assert f"质押登记 #{pledge.pk}" in html
    assert f'href="/pledges/{pledge.pk}/"' not in html
    assert f'href="/rights/{trail["right"].number}/"' in html  # the register is public


def test_the_home_panel_names_no_command(client_for: Any, examiner: User) -> None:
    html = client_for(examiner).get("/").content.decode()
    panel = html[html.index('data-testid="home-audit"') :]
    panel = panel[: panel.index("</section>")]
    text = " ".join(_read("<section " + panel).parts)
    assert "审计日志尚未校验" in text
    assert "audit_verify" not in text and not SNAKE.findall(text)
