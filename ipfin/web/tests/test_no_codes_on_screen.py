"""No internal code on screen (issue 13), the checks a template can be read for: a code field (a
rule id, a state, a kind, a status) is printed only inside an attribute (data-rule="…", a class),
never as text; the punctuation between our words and data follows the page's language."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.test import RequestFactory
from django.utils import translation

from ipfin.web.context_processors import punctuation

TEMPLATES = sorted((Path(settings.BASE_DIR) / "ipfin").glob("*/templates/**/*.html"))
# {{ x.rule }}, {{ x|attr:'rule' }}, {{ x.state }} ...: fields that hold codes, not words.
CODE_FIELD = re.compile(
    r"\{\{\s*[\w.]+(?:\.(?:rule|state|kind|status|code_value)|\|attr:'(?:rule|code)')\s*\}\}"
)
ATTRIBUTE = re.compile(r'\w[\w-]*="[^"]*"')


def test_code_fields_are_printed_only_inside_attributes() -> None:
    assert TEMPLATES
    offenders = []
    for path in TEMPLATES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            text = ATTRIBUTE.sub("", line)  # what remains is what the page shows
            for match in CODE_FIELD.finditer(text):
                offenders.append(f"{path.relative_to(settings.BASE_DIR)}:{number}: {match[0]}")
    assert not offenders, offenders


def test_the_pre_check_list_shows_messages_not_rule_ids() -> None:
    checks = (Path(settings.BASE_DIR) / "ipfin/web/templates/web/_checks.html").read_text()
    assert "data-rule=" in checks  # kept for tests and scripts, in an attribute
    assert "<code" not in checks


def test_punctuation_follows_the_language() -> None:
    request = RequestFactory().get("/")
    with translation.override("zh-hans"):
        assert punctuation(request)["P"]["colon"] == "："
    with translation.override("en"):
        marks = punctuation(request)["P"]
        assert marks["colon"] == ": " and marks["lp"] == " (" and marks["sep"] == ", "
        assert not re.search(r"[\u3000-\u303f\uff00-\uffef]", "".join(marks.values()))
