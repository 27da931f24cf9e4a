"""Every audit action the code base writes has its label in Chinese and English (issue 13: no
internal code on screen), and so has every kind of object the trail names.

The actions are read from the sources: each `audit_record(...)` call's `action` (a literal, an
f-string expanded from the enum or the values it is built from, or a name bound to literals in
its module), and, as a second net, every literal `action="x.y"` anywhere outside the tests (the
grep of issue 13). A new f-string fails here until its expansion is added below."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.utils import translation

import ipfin
from ipfin.audit import labels
from ipfin.pledges.models import Pledge, PledgeChange
from ipfin.pledges.services.common import DECISIONS
from ipfin.registry.domain import EventType
from ipfin.registry.import_mapping import Format
from ipfin.registry.models import EventTypeChoices
from ipfin.risk.domain.claims import ClaimAction

ROOT = Path(ipfin.__file__).parent
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
CODE_SHAPE = re.compile(r"[a-z_]+\.[a-z_.]+")
LITERAL_ACTION = re.compile(r'\baction="([a-z_]+\.[a-z_.]+)"')


def _assignment_kinds() -> list[str]:
    from ipfin.pledges.services.assignment import _audit_kind  # the examiner's desk

    return [_audit_kind(Pledge()), _audit_kind(PledgeChange())]


# Each f-string `action` the services build, as its source text, and the codes it can give.
DYNAMIC: dict[str, Callable[[], list[str]]] = {
    # pledge_decide / pledge_change_decide: the examiner's decisions (common.DECISIONS).
    "pledge.{action.value}": lambda: [f"pledge.{a.value}" for a in DECISIONS.values()],
    "pledge.change_{action.value}": lambda: [
        f"pledge.change_{a.value}" for a in DECISIONS.values()
    ],
    "right.event.{event_type.value}": lambda: [f"right.event.{e.value}" for e in EventType],
    "risk.claim_{action.value}": lambda: [f"risk.claim_{a.value}" for a in ClaimAction],
    # subsidy_claim_review takes "approve" or "reject" (422 otherwise).
    "subsidy.claim_{decision}": lambda: ["subsidy.claim_approve", "subsidy.claim_reject"],
    # recommendation_decide takes "accept" or "decline" (422 otherwise).
    "whitelist.recommendation_{decision}": lambda: [
        "whitelist.recommendation_accept",
        "whitelist.recommendation_decline",
    ],
    "{_audit_kind(current)}.claim": lambda: [f"{k}.claim" for k in _assignment_kinds()],
    "{_audit_kind(current)}.assign": lambda: [f"{k}.assign" for k in _assignment_kinds()],
    "{_audit_kind(case)}.claim_release": lambda: [
        f"{k}.claim_release" for k in _assignment_kinds()
    ],
}


def _msgid(message: object) -> str:
    """The msgid of a lazy gettext_lazy / pgettext_lazy message (its last argument)."""
    return str(message._args[-1])  # type: ignore[attr-defined]


def _context(message: object) -> str | None:
    """The context of a lazy pgettext_lazy message ("audit", "audit group"); None without."""
    args = message._args  # type: ignore[attr-defined]
    return str(args[0]) if len(args) == 2 else None


def _sources() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        parts = set(path.relative_to(ROOT).parts)
        if not parts & {"tests", "migrations"}:
            yield path


def _template(node: ast.JoinedStr) -> str:
    return "".join(
        part.value if isinstance(part, ast.Constant) else f"{{{ast.unparse(part.value)}}}"  # type: ignore[attr-defined]
        for part in node.values
    )


def _bound_literals(scope: ast.AST, name: str) -> list[str]:
    """The codes (string literals shaped like one) assigned to `name` in `scope`."""
    found = []
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            found += [
                c.value
                for c in ast.walk(node.value)
                if isinstance(c, ast.Constant)
                and isinstance(c.value, str)
                and CODE_SHAPE.fullmatch(c.value)
            ]
    return found


def _calls(tree: ast.AST, scope: ast.AST) -> Iterator[tuple[ast.Call, ast.AST]]:
    """Each `audit_record(...)` call with the innermost function around it (or the module)."""
    for node in ast.iter_child_nodes(tree):
        inner = node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else scope
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "audit_record":
                yield node, scope
        yield from _calls(node, inner)


def written_actions() -> dict[str, str]:
    """{code: where} for every action the sources write."""
    codes: dict[str, str] = {}
    unresolved = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        where = str(path.relative_to(ROOT.parent))
        for code in LITERAL_ACTION.findall(text):
            codes.setdefault(code, where)
        if "audit_record(" not in text:
            continue
        tree = ast.parse(text)
        for call, scope in _calls(tree, tree):
            value = next((k.value for k in call.keywords if k.arg == "action"), None)
            at = f"{where}:{call.lineno}"
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                codes.setdefault(value.value, at)
            elif isinstance(value, ast.JoinedStr) and _template(value) in DYNAMIC:
                for code in DYNAMIC[_template(value)]():
                    codes.setdefault(code, at)
            elif isinstance(value, ast.Name) and _bound_literals(scope, value.id):
                for code in _bound_literals(scope, value.id):
                    codes.setdefault(code, at)
            else:
                unresolved.append(f"{at}: {ast.unparse(value) if value else '(no action)'}")
    assert not unresolved, f"actions this test cannot expand (add them to DYNAMIC): {unresolved}"
    return codes


def test_the_scan_finds_the_actions_of_every_kind_of_call() -> None:
    """The scan itself: literals, each expanded f-string, a name bound to literals."""
    codes = written_actions()
    expected = {
        "pledge.approve",  # f"pledge.{action.value}"
        "pledge.request_correction",
        "pledge.change_approve",  # f"pledge.change_{action.value}"
        "right.event.transfer",  # f"right.event.{event_type.value}"
        "risk.claim_settle",  # f"risk.claim_{action.value}"
        "subsidy.claim_reject",
        "whitelist.recommendation_decline",
        "pledge.amend",  # action = "pledge.amend" if amended else "pledge.resubmit"
        "pledge.resubmit",
        "risk.scan",  # written by the daily command's service
        "registry.import",  # written by the import command's service
        "loan.classify",
    }
    assert expected <= set(codes), expected - set(codes)
    assert len(codes) > 100


def test_every_action_written_has_a_label() -> None:
    missing = {code: where for code, where in written_actions().items()
               if not labels.is_known_action(code)}  # fmt: skip
    assert not missing, f"audit actions with no label in ipfin/audit/labels.py: {missing}"


def test_every_action_reads_in_english_and_no_label_is_a_code() -> None:
    codes = sorted(set(written_actions()) | set(labels.all_action_codes()))
    with translation.override("zh-hans"):
        chinese = {code: labels.action_label(code) for code in codes}
    with translation.override("en"):
        english = {code: labels.action_label(code) for code in codes}
    assert all(CJK.search(text) for text in chinese.values())
    not_english = {code: text for code, text in english.items() if CJK.search(text)}
    assert not not_english, not_english
    assert len(set(chinese.values())) == len(codes)  # no two actions read the same
    assert len(set(english.values())) == len(codes)
    assert english["pledge.approve"] == "Pledge registered"
    assert english["pledge.change_approve"] == "Pledge change approved"
    assert english["right.event.transfer"] == "Right event recorded: Transfer"


def test_every_label_has_its_english_entry_in_the_po_file() -> None:
    """The messages (contexts "audit", "audit group") are filled in the English catalogue, none
    fuzzy."""
    po = polib.pofile(str(PO))
    entries = {(e.msgctxt, e.msgid): e for e in po}
    problems = []
    wanted = [(_context(m), _msgid(m)) for m in labels.all_messages()]
    # The register's event labels, which name the register's events in the trail.
    wanted += [(None, _msgid(label)) for _value, label in EventTypeChoices.choices]
    for key in wanted:
        entry = entries.get(key)
        if entry is None or not entry.msgstr.strip() or entry.fuzzy or CJK.search(entry.msgstr):
            problems.append(key[1])
    assert not problems, f"no English in {PO.name}: {problems}"


def test_an_unknown_code_reads_as_another_action() -> None:
    with translation.override("zh-hans"):
        assert labels.action_label("legacy.thing_done") == "其他操作"
        assert labels.action_label("right.event.no_such_event") == "其他操作"
    with translation.override("en"):
        assert labels.action_label("legacy.thing_done") == "Other action"
    assert not labels.is_known_action("legacy.thing_done")
    assert labels.is_known_action("right.event.renewed")


def test_the_action_filter_offers_every_labelled_action_once() -> None:
    with translation.override("zh-hans"):
        groups = labels.action_choices()
    offered = [code for _group, options in groups for code, _label in options]
    assert sorted(offered) == sorted(set(labels.all_action_codes()))
    assert all(CJK.search(group) for group, _options in groups)


@pytest.mark.parametrize(
    ("object_type", "object_id", "action", "zh", "en"),
    [
        ("pledges.pledge", "12", "pledge.approve", "质押登记 #12", "Pledge #12"),
        ("loans.loan", "1", "loan.approve", "贷款 #1", "Loan #1"),
        ("risk.scan", "2025-03-31", "risk.scan", "风险扫描 2025-03-31", "Risk scan 2025-03-31"),
        ("registry.right", "cn-patents-cnipr-export", "registry.import",
         "数据来源：CNIPR 专利数据导出", "Data source: CNIPR patent export"),
        ("x.gone", "7", "legacy.thing_done", "其他对象 #7", "Other object #7"),
        # A model this module does not name reads by its verbose_name.
        ("loans.installment", "3", "", "还款计划 #3", "Repayment schedule #3"),
    ],
)  # fmt: skip
def test_objects_read_as_their_label_and_number(
    object_type: str, object_id: str, action: str, zh: str, en: str
) -> None:
    with translation.override("zh-hans"):
        assert labels.object_text(object_type, object_id, action) == zh
    with translation.override("en"):
        assert labels.object_text(object_type, object_id, action) == en


def test_every_object_kind_is_a_model_or_named_as_none_and_reads_in_both_languages() -> None:
    for object_type in labels.OBJECT_LABELS:
        if object_type not in labels.NON_MODEL_OBJECTS:
            apps.get_model(object_type)  # LookupError for a stale kind
        with translation.override("zh-hans"):
            assert CJK.search(labels.object_label(object_type)), object_type
        with translation.override("en"):
            assert not CJK.search(labels.object_label(object_type)), object_type
    assert labels.object_label("accounts.loginattempt") != "login attempt"
    # Every data source an import names.
    assert {f.value for f in Format} == set(labels.IMPORT_SOURCE_LABELS)


def test_the_catalogue_is_the_one_the_settings_name() -> None:
    assert PO.parent.parent.parent in {Path(p) for p in settings.LOCALE_PATHS}
