"""Every form that does something that cannot be undone asks first (issue 13): approval,
rejection, release, publish, withdraw, write-off, and the other irreversible buttons (pay,
settle, close, revoke). The browser shows the form's `data-confirm` text before it is sent
(ipfin/web/static/web/ipfin.js; a dismissed dialog sends nothing: e2e/test_release_waiver.py).

Read from the templates themselves, like test_csp.py: a form posting to one of the actions below
(`action="{% url 'app:name' … %}"`), or one of the forms below that posts to its own page, must
carry a `data-confirm` whose text is translated (a Chinese msgid with its English translation)
and says what will happen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR, "ipfin")
TEMPLATES = sorted(ROOT.glob("*/templates/**/*.html"))
FORM = re.compile(r"<form\b(?P<tag>[^>]*)>(?P<body>.*?)</form>", re.DOTALL | re.IGNORECASE)
ACTION = re.compile(r"""\baction\s*=\s*"\{%\s*url\s+'(?P<name>[\w:]+)'""")
CONFIRM = re.compile(r'\bdata-confirm\s*=\s*"(?P<text>[^"]*)"')
POST = re.compile(r"""\bmethod\s*=\s*["']?post\b""", re.IGNORECASE)
TESTID = re.compile(r'\bdata-testid\s*=\s*"(?P<id>[^"]*)"')

# The actions that cannot be undone, by URL name: what each is.
IRREVERSIBLE = {
    # approval and rejection
    "pledges:pledge_decide": "the examiner's decision on a registration",
    "pledges:pledge_change_decide": "the examiner's decision on a change",
    "pledges:pledge_decline": "the other party declines a joint application",
    "pledges:pledge_change_decline": "the other party declines a change",
    "loans:loan_approve": "credit approval",
    "loans:loan_decline": "a loan application declined",
    "loans:subsidy_review": "a subsidy claim approved or rejected",
    "loans:subsidy_allocation_confirm": "the checker confirms an allocation",
    "loans:subsidy_allocation_discard": "the checker sends an allocation back",
    "risk:claim_approve": "a compensation claim approved",
    "risk:claim_reject": "a compensation claim rejected",
    "valuation:valuation_recheck": "the client bank's recheck of a report",
    "whitelist:recommendation_decide": "a bank's recommendation accepted or rejected",
    # release
    "pledges:pledge_release": "注销登记",
    "pledges:pledge_release_request": "the pledgor's request for a joint release",
    # publish
    "valuation:valuation_issue": "a valuation report issued",
    "whitelist:batch_publish": "a white list published",
    "whitelist:batch_push": "a white list pushed to banks",
    "financing:demand_push": "a demand pushed to banks",
    # withdraw
    "pledges:pledge_withdraw": "an application withdrawn",
    "pledges:pledge_change_withdraw": "a change application withdrawn",
    "financing:demand_withdraw": "a demand withdrawn",
    "financing:product_withdraw": "a product taken off sale",
    # write-off
    "loans:loan_write_off": "核销",
    # pay, settle, close and the like
    "loans:loan_disburse": "放款",
    "loans:loan_repay": "a repayment recorded",
    "loans:loan_close": "结清",
    "risk:claim_pay": "a compensation paid",
    "risk:claim_settle": "a claim settled after disposal",
    "disposals:bid_place": "a bid",
    "disposals:disposal_complete": "a sale completed",
    "disposals:disposal_backstop": "the trading centre's backstop",
    "disposals:disposal_withdraw": "a listing withdrawn (bids lapse, a backstop declined)",
    "portal:api_token_revoke": "an API token revoked",
    "portal:supervision_case_close": "a supervision case closed",
    "portal:second_factor_reset": "a user's second factor reset",
}
# Irreversible forms that post to their own page: (template, a data-testid in the form).
IRREVERSIBLE_PAGES = {
    ("financing/templates/financing/product_form.html", "product-form"): "a product published",
    ("financing/templates/financing/policy_form.html", "policy-form"): "a policy published",
    ("disposals/templates/disposals/new.html", "disposal-form"): "a pledge listed for sale",
    ("registry/templates/registry/right_detail.html", "right-event-entry"): "a legal event",
    ("risk/templates/risk/alert_resolve.html", "resolve-form"): "an alert resolved",
}
# A confirmation's text is translated: {% translate %}, {% blocktranslate %}, or a message the
# view made (a template variable), never a bare literal.
TRANSLATED = re.compile(r"\{%\s*(translate|trans|blocktranslate|blocktrans)\b|^\{\{\s*\w+\s*\}\}$")


def _post_forms() -> list[tuple[str, str, str, str]]:
    """(template relative to ipfin/, the form's opening tag, its body, line) of every POST form."""
    forms = []
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        for match in FORM.finditer(text):
            if POST.search(match["tag"]):
                line = text.count("\n", 0, match.start()) + 1
                forms.append(
                    (str(path.relative_to(ROOT)), match["tag"], match["body"], f"{path}:{line}")
                )
    return forms


FORMS = _post_forms()


def _needs(template: str, tag: str, body: str) -> str | None:
    action = ACTION.search(tag)
    if action is not None:
        return IRREVERSIBLE.get(action["name"])
    ids = {m["id"] for m in TESTID.finditer(tag + body)}
    for (where, testid), what in IRREVERSIBLE_PAGES.items():
        if where == template and testid in ids:
            return what
    return None


def test_the_templates_hold_the_forms_we_look_for() -> None:
    """Every action and page listed is found in a template (a renamed URL or form would
    otherwise pass unnoticed), and the forms are many."""
    assert len(FORMS) > 60
    names = {m["name"] for _, tag, _, _ in FORMS if (m := ACTION.search(tag))}
    assert set(IRREVERSIBLE) <= names, sorted(set(IRREVERSIBLE) - names)
    for template, testid in IRREVERSIBLE_PAGES:
        assert any(
            t == template and testid in {m["id"] for m in TESTID.finditer(tag + body)}
            for t, tag, body, _ in FORMS
        ), (template, testid)


@pytest.mark.parametrize("template,tag,body,where", FORMS, ids=[f[3] for f in FORMS])
def test_an_irreversible_form_asks_for_confirmation_naming_what_happens(
    template: str, tag: str, body: str, where: str
) -> None:
    what = _needs(template, tag, body)
    if what is None:
        return
    confirm = CONFIRM.search(tag)
    assert confirm is not None, f"{where}: {what} needs data-confirm"
    text = confirm["text"].strip()
    assert text, f"{where}: empty data-confirm"
    assert TRANSLATED.search(text), f"{where}: the confirmation is not translated: {text[:80]}"
