"""Cross-tenant sweep over the whole REST API, on the demo data set.

Every operation in the OpenAPI document is classified below: public (the allowlist, each with its
reason), tenant-owned (its path parameter maps to the rows that belong to bank A's tenancy, derived
from the models' tenant fields, not from the selectors under test), or a list / create endpoint.
Then, as bank B, as an enterprise that is no party to bank A's business, and anonymously:

- GET of another tenant's object is 401/403/404, never 200 and never 500;
- no list endpoint shows an id that belongs to another tenant only;
- POST/PUT of an action on another tenant's object is refused (401/403/404/422), never 2xx or
  500, and nothing changed (the row itself and the row counts of the dependent tables).

Each check is also run once the other way round where it can pass (bank A reads its own object,
bank A's list shows its own ids), so the sweep cannot pass by looking at the wrong ids or keys.
`test_every_operation_is_classified` fails for a new endpoint until it is classified here.
The demo is loaded once for the module, inside an outer transaction rolled back at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.forms.models import model_to_dict
from django.test import Client, override_settings

from ipfin.accounts.models import ApiToken, Notification, Organisation, SupervisionCase, User
from ipfin.accounts.services import api_token_issue, organisation_create, user_create
from ipfin.api import api
from ipfin.demo.scenarios.base import DEMO_PASSWORD
from ipfin.demo.scenarios.parties import ENTERPRISES
from ipfin.disposals.models import Bid, Disposal
from ipfin.disposals.tests.sweep import bank_a_listing
from ipfin.feed.models import Delivery, Webhook
from ipfin.feed.services import webhook_create
from ipfin.financing.models import Demand, DemandResponse, Product
from ipfin.guarantees.models import Guarantee
from ipfin.insurance.models import InsuranceClaim, Policy
from ipfin.jobs.models import JobFile, JobRun
from ipfin.loans.models import Installment, Loan, Repayment, SubsidyAllocationRun, SubsidyClaim
from ipfin.loans.services import loan_classify_manual, subsidy_allocate, subsidy_claim_review
from ipfin.outreach.models import Article
from ipfin.pledges.exchange import pledge_registrations_export_request
from ipfin.pledges.models import (
    AnnuityDeposit,
    AnnuityDepositYear,
    Pledge,
    PledgeChange,
    PledgeDocument,
)
from ipfin.registry.models import Right, RightEvent
from ipfin.risk.models import LedgerEntry, LedgerLine, RiskAlert, RiskClaim, RiskScheme
from ipfin.risk.services import claim_file, scheme_create
from ipfin.securitisation.models import PoolProgramme, ProgrammeMember
from ipfin.trading.models import Deal, DealConsent, Listing
from ipfin.valuation.models import CreditDataImport, EnterpriseCreditProfile, Valuation
from ipfin.valuation.services import credit_file_import_request
from ipfin.whitelist.models import (
    BankRecommendation,
    ImportedList,
    ScreeningRule,
    WhitelistBatch,
    WhitelistEntry,
    WhitelistFollowUp,
    WhitelistPush,
)
from ipfin.zoneindex.models import IndexRun, IndicatorDef, IndicatorSystem, ZoneValue

pytestmark = pytest.mark.django_db

PREFIX = "/api/v1"
SCHEMA: dict[str, Any] = api.get_openapi_schema()
OPERATIONS: list[tuple[str, str]] = sorted(
    (method.upper(), path.removeprefix(PREFIX))
    for path, ops in SCHEMA["paths"].items()
    for method in ops
)

# Public reads: the same answer for every caller, nothing tenant-owned in them.
PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/rights"): "the register of rights is public (专利法 art. 39, 商标法 art. 33: 公告)",
    ("GET", "/rights/{number}"): "one right of the public register",
    ("GET", "/rights/{number}/status"): "legal status derived from the public register",
    ("GET", "/rights/{number}/score"): "indicator score computed from public register data",
    ("GET", "/rights/{number}/comparables"): "priced transfers/licences recorded in the register",
    ("GET", "/pledges/public"): "registered pledges are published (专利权质押登记办法 公告)",
    ("GET", "/products"): "the product catalogue is published to every enterprise",
    ("GET", "/products/{product_id}"): "one published product of the catalogue",
    ("GET", "/products/compare"): "comparison of published products",
    ("GET", "/lpr"): "the published loan prime rate (全国银行间同业拆借中心)",
    ("GET", "/policies"): "published government policies",
    ("POST", "/valuations/preview"): "a calculator: stores nothing, reads only public data",
    ("POST", "/schedules/preview"): "a repayment-schedule calculator: stores nothing",
    ("POST", "/risk/compensation/preview"): "a compensation calculator: stores nothing",
    ("POST", "/risk/npl-tolerance/preview"): "an NPL-tolerance calculator: stores nothing",
    ("POST", "/index/preview"): "the demonstration-zone index calculator: stores nothing",
    ("POST", "/abs/waterfall/preview"): "the securitisation waterfall calculator: stores nothing",
    ("GET", "/risk/schemes"): "compensation schemes are published rules (like the policies)",
    ("GET", "/risk/schemes/{scheme_id}"): "one published compensation scheme",
    ("POST", "/whitelist/batches/preview"): "office calculator over public data (stores nothing)",
    ("POST", "/pledges/precheck"): "checks a draft against the public register, stores nothing",
    ("GET", "/calendar"): "the State Council's published holiday arrangements",
    ("GET", "/calendar/{year}"): "one year's published holiday arrangement",
    ("GET", "/calendar/working-days"): "a working-day calculator over the published arrangements",
    # 挂牌公告: a listing, its reserve, its bids (bidders by number only) and, once sold, the buyer
    # and the price (the register shows the transfer anyway); how the price was applied to the
    # loan is in it only for the parties (disposals/tests/test_api.py).
    ("GET", "/disposals"): "the trading board of defaulted pledges is public (挂牌公告)",
    ("GET", "/disposals/{disposal_id}"): "one public listing of the trading board",
    # The operations board (知识产权运营): its listings and figures are public, as the disposals'.
    ("GET", "/trading/listings"): "rights offered for sale or licence are public (挂牌公告)",
    ("GET", "/trading/listings/{trading_listing_id}"): "one public listing of the board",
    ("GET", "/trading/stats"): "the board's figures by year: aggregates, nobody's own",
    # The office's public library (issue 15): what it published, for everyone; its drafts only
    # for the office (state=…: 401 / 403 for anyone else, outreach/tests/test_api.py).
    ("GET", "/outreach/articles"): "the library's published cases and guides (宣传与服务资源库)",
    ("GET", "/outreach/articles/{article_id}"): "one published article; a draft is a 404",
    ("GET", "/outreach/events"): "published events any organisation may register for",
    ("GET", "/outreach/experts"): "the expert and talent pools, their contacts masked",
    # The demonstration-zone index as published (issue 15): the office's runs once published.
    ("GET", "/index/published"): "the published demonstration-zone rankings (示范区指数)",
    ("GET", "/index/zones/{zone_id}/history"): "a zone's scores in the published rankings",
}

# Creates (no path parameter): the new row is the caller's own; covered by each app's tests.
CREATES = {
    # The IP office's (valuation/tests/test_credit_imports.py: a bank is refused).
    ("POST", "/credit-imports"),
    ("POST", "/credit-imports/jobs"),  # the same, as a background run (test_credit_import_jobs)
    ("POST", "/whitelist/imports/jobs"),  # the office's list, in the background (test_api)
    # The office's files for the national platforms (pledges/tests/test_exchange_jobs.py).
    ("POST", "/exports/pledge-registrations/jobs"),
    ("POST", "/exports/demands/jobs"),
    # The caller's own report, over its own scope (stats/tests/test_report_jobs.py).
    ("POST", "/stats/reports/jobs"),
    ("POST", "/webhooks"),  # the caller's organisation's (feed/tests/test_webhooks.py)
    ("POST", "/rights"),
    ("POST", "/pledges"),
    ("POST", "/organisations"),
    ("POST", "/valuations"),
    ("PUT", "/valuations/bank-model"),  # the caller's own bank's model (keyed by its organisation)
    ("POST", "/products"),
    ("POST", "/policies"),
    ("POST", "/demands"),
    ("POST", "/whitelist/imports"),
    ("POST", "/whitelist/rules"),
    ("POST", "/whitelist/batches"),
    ("POST", "/whitelist/recommendations"),
    ("POST", "/loans"),
    ("POST", "/guarantees"),  # on the caller's own loan (guarantees/tests/test_api.py)
    ("POST", "/trading/listings"),  # of a right the caller holds (trading/tests/test_api.py)
    # The bank's own royalty receivable on a registered licence (securitisation/tests/
    # test_royalties.py).
    ("POST", "/abs/royalties"),
    ("POST", "/abs/programmes"),  # arranged by the caller's bank (test_programmes.py)
    # An interest is the caller's own on a public listing, like a bid (trading/tests/test_api.py).
    ("POST", "/trading/listings/{trading_listing_id}/interests"),
    ("POST", "/insurance/policies"),  # insurers only (insurance/tests/test_api.py)
    ("POST", "/subsidies/claims"),
    ("POST", "/subsidies/allocate"),
    ("POST", "/risk/schemes"),  # the office's scheme (risk/tests/test_compensation_api.py)
    ("POST", "/risk/claims"),  # on the bank's own loan: another's is a 422 loan_not_found
    ("POST", "/disposals"),  # of the bank's own pledge: another's is a 422 pledge_not_found
    # A bid is the bidder's own on a public listing: any enterprise, bank, insurer or guarantor
    # but the loan's parties bids on another bank's listing (disposals/tests/test_bidding.py).
    ("POST", "/disposals/{disposal_id}/bids"),
    # The acting bank's own quarterly returns (stats/tests/test_bank_returns.py).
    ("POST", "/stats/bank-returns"),
    ("POST", "/stats/bank-returns/upload"),
    # The caller's own bank's quarterly NPL ratio (risk/tests/test_npl_tolerance_api.py).
    ("POST", "/risk/bank-npl"),
    ("POST", "/tokens"),  # a token for the caller itself
    ("POST", "/supervision/cases"),  # a regulator's own case (accounts/tests/test_supervision.py)
    # The office's daily scan: no path id, it writes each bank's alerts (risk/tests/test_alerts.py)
    ("POST", "/risk/scan"),
    # The office's record of a public notice, keyed by year: no tenant owns it (office admin only).
    ("PUT", "/calendar/{year}"),
    ("POST", "/outreach/articles"),  # the office's draft (outreach/tests/test_api.py)
    # A registration is the caller's own organisation's on a public event, like a bid on a public
    # listing; another organisation's registrations are never named (outreach/tests/test_api.py).
    ("POST", "/outreach/events/{event_id}/registrations"),
    # The office's pick of experts: records picks, names no tenant's object (test_expert_pick.py).
    ("POST", "/outreach/experts/pick"),
    ("POST", "/index/systems"),  # the office's indicator system (zoneindex/tests/test_api.py)
}


@dataclass(frozen=True)
class Owned:
    """The rows of one path parameter that a caller of organisation `x` (None: anonymous) must
    not reach, given bank A (`a`). `related` are the tables an action on the row may write."""

    model: type[models.Model]
    foreign: Callable[[Organisation, Organisation | None], QuerySet[Any]]
    related: tuple[type[models.Model], ...] = ()
    lookup: str = "pk"  # the path parameter's value: this field of the row


def _not_party(qs: QuerySet[Any], x: Organisation | None, *fields: str) -> QuerySet[Any]:
    if x is None:
        return qs
    party = Q()
    for f in fields:
        party |= Q(**{f: x.pk})
    return qs.exclude(party)


def _pledges(a: Organisation, x: Organisation | None) -> QuerySet[Any]:
    return _not_party(Pledge.objects.filter(pledgee=a), x, "pledgee", "pledgor")


def _pledge_changes(a: Organisation, x: Organisation | None) -> QuerySet[Any]:
    rows = PledgeChange.objects.filter(pledge__pledgee=a)
    return _not_party(rows, x, "pledge__pledgee", "pledge__pledgor")


def _valuations(a: Organisation, x: Organisation | None) -> QuerySet[Any]:
    rows = Valuation.objects.filter(Q(organisation=a) | Q(client_bank=a))
    return _not_party(rows, x, "organisation", "client_bank")


def _loans(a: Organisation, x: Organisation | None) -> QuerySet[Any]:
    return _not_party(Loan.objects.filter(bank=a), x, "bank", "enterprise", "enterprise__park")


def _demands(a: Organisation, x: Organisation | None) -> QuerySet[Any]:
    # A demand reaches a bank only when it is pushed to it (a DemandResponse row for the bank).
    rows = Demand.objects.filter(pk__in=DemandResponse.objects.filter(bank=a).values("demand"))
    if x is not None:
        rows = rows.exclude(pk__in=DemandResponse.objects.filter(bank=x).values("demand"))
    return _not_party(rows, x, "enterprise", "filed_by_org", "enterprise__park")


def _ledger(a: Organisation, x: Organisation | None) -> QuerySet[Any]:
    rows = DemandResponse.objects.filter(bank=a)
    return _not_party(
        rows, x, "bank", "demand__enterprise", "demand__filed_by_org", "demand__enterprise__park"
    )


def _batches(a: Organisation, x: Organisation | None) -> QuerySet[Any]:
    # Bank A's: pushed to it; plus drafts, which no bank sees.
    rows = WhitelistBatch.objects.filter(Q(pushes__bank=a) | Q(published_at=None)).distinct()
    if x is not None:
        rows = rows.exclude(pushes__bank=x)
    return rows


def _entries(a: Organisation, x: Organisation | None) -> QuerySet[Any]:
    return WhitelistEntry.objects.filter(batch__in=_batches(a, x))


def _recommendations(a: Organisation, x: Organisation | None) -> QuerySet[Any]:
    return _not_party(BankRecommendation.objects.filter(bank=a), x, "bank", "enterprise")


def _office_only(model: type[models.Model]) -> Callable[..., QuerySet[Any]]:
    # Imported lists and screening rules are the IP office's working material: no bank's.
    return lambda a, x: model._default_manager.all()


def _claims(a: Organisation, x: Organisation | None) -> QuerySet[Any]:
    # Claims belong to the claimant enterprise; the IP office reviews them.
    return _not_party(SubsidyClaim.objects.all(), x, "enterprise")


def _risk_claims(a: Organisation, x: Organisation | None) -> QuerySet[Any]:
    # A compensation claim is its bank's; the IP office reviews it (enterprises see none).
    return _not_party(RiskClaim.objects.filter(bank=a), x, "bank")


def _products(a: Organisation, x: Organisation | None) -> QuerySet[Any]:
    return _not_party(Product.objects.filter(provider=a), x, "provider")


def _customers(bank: Organisation) -> Q:
    # The enterprises a bank deals with, from the tables' own fields: a pledge or pledge
    # application naming it as pledgee, a loan application to it, a demand pushed to it (a
    # ledger row), an entry of a published white-list batch pushed to it.
    entries = WhitelistEntry.objects.filter(batch__state="published", batch__pushes__bank=bank)
    return (
        Q(pk__in=Pledge.objects.filter(pledgee=bank).values("pledgor"))
        | Q(pk__in=Loan.objects.filter(bank=bank).values("enterprise"))
        | Q(pk__in=DemandResponse.objects.filter(bank=bank).values("demand__enterprise"))
        | Q(pk__in=entries.values("enterprise"))
    )


def _credit(a: Organisation, x: Organisation | None) -> QuerySet[Any]:
    # An enterprise's credit scorecard: the enterprise itself, the supervisors and a bank that
    # deals with it (_customers) may read it — not any bank by the credit code; the enterprise
    # or a bank it has pledged rights to may update its facts. Bank A's customers are foreign to
    # every other party but a bank that deals with them too.
    rows = Organisation.objects.filter(_customers(a), kind="enterprise")
    if x is not None and x.kind == "bank":
        rows = rows.exclude(_customers(x))
    return _not_party(rows, x, "pk", "park")


def _rights(a: Organisation, x: Organisation | None) -> QuerySet[Any]:
    # Writing to the register (events) is the examiner's; nobody else's right or own.
    return Right.objects.filter(pledge_items__pledge__pledgee=a).distinct()


OWNED: dict[str, Owned] = {
    "pledge_id": Owned(
        Pledge, _pledges, (PledgeDocument, PledgeChange, AnnuityDeposit, AnnuityDepositYear)
    ),
    "change_id": Owned(PledgeChange, _pledge_changes),
    "valuation_id": Owned(Valuation, _valuations),
    "loan_id": Owned(Loan, _loans, (Installment, Repayment)),
    "demand_id": Owned(Demand, _demands, (DemandResponse,)),
    "row_id": Owned(DemandResponse, _ledger),
    "batch_id": Owned(WhitelistBatch, _batches, (WhitelistPush, WhitelistEntry)),
    "entry_id": Owned(WhitelistEntry, _entries, (WhitelistFollowUp,)),
    "rec_id": Owned(BankRecommendation, _recommendations, (WhitelistEntry,)),
    "import_id": Owned(ImportedList, _office_only(ImportedList)),
    # A credit data file is the office's (the sweep has the office import one).
    "credit_import_id": Owned(CreditDataImport, _office_only(CreditDataImport)),
    "rule_id": Owned(ScreeningRule, _office_only(ScreeningRule)),
    "claim_id": Owned(SubsidyClaim, _claims),
    # Allocation runs are the office's (proposed by one office user, confirmed by another).
    "run_id": Owned(SubsidyAllocationRun, _office_only(SubsidyAllocationRun), (SubsidyClaim,)),
    # A user's API tokens are that user's alone (bank A's user's tokens, for the callers here).
    "token_id": Owned(ApiToken, lambda a, x: ApiToken.objects.filter(user__organisation=a)),
    # Bank A's early-warning alerts (the demo's scan raises them).
    "alert_id": Owned(RiskAlert, lambda a, x: RiskAlert.objects.filter(bank=a)),
    # Supervision cases are the regulator's: no sweep caller (a bank, an enterprise, anonymous)
    # reaches any (the demo's regulator has one open on bank A).
    "case_id": Owned(SupervisionCase, lambda a, x: SupervisionCase.objects.all()),
    "product_id": Owned(Product, _products),
    # Risk compensation: the funds' ledgers and the schemes are the office's (regulators read the
    # ledgers); a claim is its bank's.
    "fund_id": Owned(
        Organisation,
        lambda a, x: Organisation.objects.filter(kind="risk_fund"),
        (LedgerEntry, LedgerLine),
    ),
    "scheme_id": Owned(RiskScheme, _office_only(RiskScheme), (RiskClaim,)),
    "risk_claim_id": Owned(RiskClaim, _risk_claims, (LedgerEntry, LedgerLine)),
    "uscc": Owned(Organisation, _credit, (EnterpriseCreditProfile,), lookup="uscc"),
    # A listing is its seller's (the pledgee bank) to complete; the backstop is a trading
    # centre's (no sweep caller is one). Its reading is public (PUBLIC above).
    "disposal_id": Owned(
        Disposal, lambda a, x: Disposal.objects.filter(bank=a), (Bid, RightEvent, Repayment)
    ),
    "number": Owned(Right, _rights, (RightEvent,), lookup="number"),
    # The library's articles are the office's: only the office publishes one (its readers are
    # public, PUBLIC above).
    "article_id": Owned(Article, _office_only(Article)),
    # The demonstration-zone index's systems and runs are the office's working material (the
    # published rankings are public, PUBLIC above).
    "system_id": Owned(
        IndicatorSystem, _office_only(IndicatorSystem), (IndicatorDef, ZoneValue, IndexRun)
    ),
    "index_run_id": Owned(IndexRun, _office_only(IndexRun)),
    # A guarantee is its bank's and its guarantor's (the demo's on bank A's loan 1).
    "guarantee_id": Owned(Guarantee, lambda a, x: Guarantee.objects.filter(bank=a)),
    # A policy is its parties' (the demo's guarantee insurance insures bank A's loan 1), a claim
    # its claimant's and its insurers' (bank A's notice on that policy).
    "insurance_policy_id": Owned(
        Policy, lambda a, x: Policy.objects.filter(beneficiary=a), (InsuranceClaim,)
    ),
    "insurance_claim_id": Owned(
        InsuranceClaim, lambda a, x: InsuranceClaim.objects.filter(claimant=a)
    ),
    # A programme of several banks' loans is its arranger's and its invited banks' (the demo's:
    # bank A arranges, bank B is invited, so bank B has none foreign: NOTHING_FOREIGN).
    "abs_programme_id": Owned(
        PoolProgramme,
        lambda a, x: _not_party(
            PoolProgramme.objects.filter(arranger=a), x, "arranger", "members__bank"
        ),
        (ProgrammeMember,),
    ),
    # A listing is its holder's to withdraw and to deal (its reading is public); the demo's are
    # enterprise A's.
    "trading_listing_id": Owned(
        Listing, lambda a, x: _not_party(Listing.objects.all(), x, "owner"), (Deal, DealConsent)
    ),
    # A background run is its requester's (the sweep has the office import a credit file).
    "job_id": Owned(
        JobRun,
        lambda a, x: JobRun.objects.filter(requested_by__organisation__kind="ip_office"),
        (JobFile,),
    ),
    # A webhook is its organisation's (the sweep subscribes one for bank A), with its log.
    "webhook_id": Owned(Webhook, lambda a, x: Webhook.objects.filter(organisation=a), (Delivery,)),
    # A deal is its parties': the demo's licence of bank A's pledged right awaits bank A's
    # consent (its counterparty, enterprise C, is no sweep caller).
    "trading_deal_id": Owned(
        Deal,
        lambda a, x: _not_party(
            Deal.objects.filter(consents__pledgee=a), x, "seller", "counterparty"
        ),
        (DealConsent, RightEvent),
    ),
}

# List endpoints: the path parameter whose rows the items are (their "id"), or None for lists
# that are the caller's own by construction or public (checked for status only).
LISTS: dict[str, str | None] = {
    "/pledges": "pledge_id",
    "/pledges/queue": "pledge_id",
    "/pledge-changes/queue": None,  # examiners only: every sweep caller gets 401 / 403
    "/pledges/cases": None,  # the examiner's desk: every sweep caller gets 401 / 403
    "/valuations": "valuation_id",
    "/demands": "demand_id",
    "/ledger": "row_id",
    "/loans": "loan_id",
    "/guarantees": "guarantee_id",
    "/insurance/policies": "insurance_policy_id",
    "/trading/deals": "trading_deal_id",
    "/trading/interests": None,  # the caller's own and those in its listings (test_api.py)
    "/abs/royalties": None,  # the bank's own receivables (securitisation/tests/test_royalties.py)
    # The programmes the bank arranges or is invited to (test_programmes.py: an invited bank sees
    # the one it is invited to; the demo's invites the sweep's bank B, so its list is checked
    # there, not here).
    "/abs/programmes": None,
    "/subsidies/claims": "claim_id",
    "/risk/claims": "risk_claim_id",
    "/whitelist/batches": "batch_id",
    "/whitelist/recommendations": "rec_id",
    "/whitelist/imports": "import_id",
    "/whitelist/rules": "rule_id",
    "/notifications": None,  # checked against Notification.organisation below
    "/me": None,  # the caller's own user
    "/valuations/bank-model": None,  # the caller's own bank's model
    "/whitelist/figures": None,  # aggregates; a bank's figures are its own follow-ups
    "/whitelist/figures/export.xlsx": None,
    "/tokens": None,  # the caller's own tokens by construction (accounts/tests/test_tokens.py)
    "/audit": None,  # the office and the regulator only: every sweep caller gets 401 / 403
    "/risk/alerts": "alert_id",
    "/risk/alerts/summary": None,  # counts of the caller's own (a bank), all for the office
    "/risk/npl-tolerance": None,  # a bank's own row only: checked against the items' banks below
    "/risk/signals": None,  # the office and the regulator only: every sweep caller gets 401 / 403
    "/supervision/cases": None,  # regulators only: every sweep caller gets 401 / 403
    "/audit/verification": None,
    # A bank's or a park's own loans' figures (stats/tests/test_indicators.py, test_park_growth.py);
    # called here without a period, a 422.
    "/stats/indicators": None,
    "/stats/park-growth": None,
    "/index/systems": None,  # the office's indicator systems: every sweep caller gets 401 / 403
    "/stats/bank-returns": None,  # a bank's own returns (stats/tests/test_bank_returns.py)
    "/webhooks": "webhook_id",
    "/credit-imports": None,  # the IP office only: every sweep caller gets 401 / 403
    # The IP office's files for the national platforms: called here without their required
    # period, a 422; a bank's 403 and an anonymous 401 are tested in pledges/tests/test_exchange.py.
    "/exports/pledge-registrations.csv": None,
    "/exports/demands.json": None,
    # The events naming the caller (feed/tests/test_feed.py: another bank's pledge steps are not
    # in a bank's feed); the items are events, not objects of a path parameter.
    "/events": None,
}

# Operations whose path parameter names no object but a period: the answer is computed over the
# caller's own scope, like a list's (a bank its own loans); checked where they are built.
CALLER_SCOPED: dict[tuple[str, str], str] = {
    ("GET", "/stats/reports/{period}.pdf"): "the caller's loans (stats/tests/test_reports.py)",
    (
        "GET",
        "/stats/reports/{period}.xlsx",
    ): "the caller's loans (stats/tests/test_reports.py)",
    ("POST", "/abs/pools/preview"): "the bank's own loans (securitisation/tests/test_pool_api.py)",
    (
        "POST",
        "/abs/pools/report.pdf",
    ): "the bank's own loans (securitisation/tests/test_pool_api.py)",
    (
        "POST",
        "/abs/pools/report.xlsx",
    ): "the bank's own loans (securitisation/tests/test_pool_api.py)",
}

ACCEPTED_READ = {401, 403, 404}
ACCEPTED_WRITE = {401, 403, 404, 422}
# A single case the sweep found and that is not fixed here: (method, path, caller) -> reason.
KNOWN: dict[tuple[str, str, str], str] = {}


def _path_params(method: str, path: str) -> list[str]:
    op = SCHEMA["paths"][PREFIX + path][method.lower()]
    return [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]


class _Api(Client):
    def __init__(self, token: str | None) -> None:
        super().__init__(headers={"Authorization": f"Bearer {token}"} if token else {})


@dataclass
class Demo:
    bank_a: Organisation
    clients: dict[str, _Api]  # bank_a (the owner), bank_b, enterprise_b, anonymous
    orgs: dict[str, Organisation | None]


@pytest.fixture(scope="module")
def demo_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _demo_media_root(settings: Any, demo_media: Path) -> None:
    """The sweep's requests read the files the demo stored (its contracts, the notices made with
    its decisions), not the empty media directory of each test."""
    settings.MEDIA_ROOT = demo_media


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any, demo_media: Path) -> Iterator[Demo]:
    media = demo_media
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=media,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        transaction.atomic(),
    ):
        call_command("load_demo", stdout=StringIO())
        users = {u.username: u for u in User.objects.select_related("organisation")}
        bank_a = users["bank_a"].organisation
        bank_b = users["bank_b"].organisation
        assert bank_a is not None and bank_b is not None
        # An enterprise with an account that is not enterprise_a (the demo's own login of B,
        # which signs its pledge applications, or a new one).
        firm_b = Organisation.objects.get(name=ENTERPRISES[1][0])
        enterprise_b = users.get("enterprise_b") or user_create(
            username="enterprise_b", password=DEMO_PASSWORD, organisation=firm_b
        )
        # The demo's subsidy claim approved and its allocation proposed by the office (a run to
        # probe; the demo itself leaves the claim for the office to review).
        claim = SubsidyClaim.objects.get(basis="interest")
        subsidy_claim_review(actor=users["examiner"], claim=claim, decision="approve")
        subsidy_allocate(actor=users["examiner"], policy_id=claim.policy_id, year=claim.year)
        # A compensation fund, its scheme, and bank A's claim on its loan classified 次级 by the
        # bank (the demo has none): a fund, a scheme and a claim to probe.
        fund = organisation_create(actor=None, kind="risk_fund", name="风险补偿基金")
        scheme = scheme_create(
            actor=users["examiner"],
            fund_id=fund.pk,
            name="前置代偿方案",
            mode="front_loaded",
            shares={"fund": "0.4", "bank": "0.3", "guarantor": "0.2", "insurer": "0.1"},
        )
        loan = Loan.objects.filter(bank=bank_a, state__in=["disbursed", "repaying"]).first()
        assert loan is not None
        loan_classify_manual(
            actor=users["bank_a"], loan=loan, category="substandard", reason="经营困难"
        )
        claim_file(actor=users["bank_a"], loan_id=loan.pk, scheme_id=scheme.pk)
        # A listing of bank A on the trading board (the demo has none).
        bank_a_listing(bank=users["bank_a"], examiner=users["examiner"])
        # A credit data file the office imported in the background (the demo has none).
        credit_file_import_request(
            actor=users["examiner"],
            uploaded_file=SimpleUploadedFile(
                "grades.csv", f"统一社会信用代码,评价年度,信用等级\n{bank_a.uscc},2025,A\n".encode()
            ),
            kind="tax_grade",
            source="某省税务局",
            as_of="2026-04-30",
        )
        # And a file for the national platform it exported (its run has a file to download).
        pledge_registrations_export_request(
            actor=users["examiner"], start=date(2026, 1, 1), end=date(2026, 12, 31)
        )
        # A webhook of bank A's (the demo has none).
        webhook_create(
            actor=users["bank_a"],
            url="https://hooks.bank-a.example/ipfin",
            events=["pledge.decided"],
        )
        demo = Demo(
            bank_a=bank_a,
            clients={
                "bank_a": _Api(api_token_issue(user=users["bank_a"])),
                "bank_b": _Api(api_token_issue(user=users["bank_b"])),
                "enterprise_b": _Api(api_token_issue(user=enterprise_b)),
                "anonymous": _Api(None),
                # The owners of what is not bank A's, for the positive controls only.
                "office": _Api(api_token_issue(user=users["examiner"])),
                "enterprise_a": _Api(api_token_issue(user=users["enterprise_a"])),
            },
            orgs={"bank_a": bank_a, "bank_b": bank_b, "enterprise_b": firm_b, "anonymous": None},
        )
        yield demo
        transaction.set_rollback(True)


def _foreign(demo: Demo, param: str, caller: str) -> list[Any]:
    owned = OWNED[param]
    rows = owned.foreign(demo.bank_a, demo.orgs[caller])
    return list(rows.values_list(owned.lookup, flat=True).distinct())


# (path parameter, caller) with nothing foreign to probe, by design, with the reason. Every other
# case must find rows, or the sweep would pass without sending a request.
NOTHING_FOREIGN: dict[tuple[str, str], str] = {
    ("abs_programme_id", "bank_b"): "bank B is invited to the demo's programme: a party to it",
}


def _probes(values: list[Any], param: str, caller: str) -> None:
    reason = NOTHING_FOREIGN.get((param, caller))
    if reason is not None:
        assert not values, f"{param} for {caller}: expected nothing foreign ({reason})"
        return
    assert values, f"the demo gives {caller} no foreign {param} to probe: the case would be vacuous"


def _url(path: str, param: str, value: Any) -> str:
    return PREFIX + path.replace("{" + param + "}", str(value))


def _status_ok(status: int, accepted: set[int]) -> bool:
    return status in accepted


def _outcome(method: str, path: str, caller: str, failures: list[str]) -> None:
    reason = KNOWN.get((method, path, caller))
    if reason is not None:
        if not failures:
            pytest.fail(f"known finding no longer reproduces, remove it from KNOWN: {reason}")
        pytest.xfail(reason)
    assert not failures, "\n".join(failures)


# --- the classification ---------------------------------------------------------------------


def test_every_operation_is_classified() -> None:
    unclassified = []
    for method, path in OPERATIONS:
        params = _path_params(method, path)
        if (method, path) in PUBLIC or (method, path) in CREATES or (method, path) in CALLER_SCOPED:
            continue
        if method == "GET" and not params and path in LISTS:
            continue
        if params and all(p in OWNED for p in params):
            continue
        unclassified.append(f"{method} {path}")
    assert not unclassified, unclassified
    assert len(OPERATIONS) >= 80  # the sweep really read the schema


GET_BY_ID = [
    (m, p)
    for m, p in OPERATIONS
    if m == "GET" and _path_params(m, p) and (m, p) not in PUBLIC and (m, p) not in CALLER_SCOPED
]
WRITE_BY_ID = [
    (m, p)
    for m, p in OPERATIONS
    if m in {"POST", "PUT"} and _path_params(m, p) and (m, p) not in CREATES
]
LIST_PATHS = [p for m, p in OPERATIONS if m == "GET" and p in LISTS]
CALLERS = ["bank_b", "enterprise_b", "anonymous"]


# --- reads by id ------------------------------------------------------------------------------


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "path"), GET_BY_ID)
def test_get_of_another_tenants_object_is_refused(
    demo: Demo, method: str, path: str, caller: str
) -> None:
    (param,) = _path_params(method, path)
    values = _foreign(demo, param, caller)
    _probes(values, param, caller)
    failures = []
    for value in values:
        response = demo.clients[caller].get(_url(path, param, value))
        if not _status_ok(response.status_code, ACCEPTED_READ):
            failures.append(f"{caller} GET {path} {param}={value}: {response.status_code}")
    _outcome(method, path, caller, failures)


@pytest.mark.parametrize(("method", "path"), GET_BY_ID)
def test_owner_reads_its_own_object(demo: Demo, method: str, path: str) -> None:
    # The other way round: bank A reaches the ids the sweep uses (they are real and reachable),
    # except the office's own material and what is public/another party's by construction.
    (param,) = _path_params(method, path)
    office_material = {"import_id", "credit_import_id", "rule_id", "fund_id", "job_id"}
    reader = "office" if param in office_material else "bank_a"
    values = _foreign(demo, param, "bank_b")
    if param == "uscc":  # bank A reads its customers' scorecards
        values = list(OWNED[param].foreign(demo.bank_a, None).values_list("uscc", flat=True))
    if param in {"batch_id", "entry_id"}:  # drafts are the office's: only what was pushed
        pushed = WhitelistPush.objects.filter(bank=demo.bank_a).values("batch")
        rows = OWNED[param].model._default_manager.filter(
            **{"pk__in" if param == "batch_id" else "batch__in": pushed}
        )
        values = list(rows.values_list("pk", flat=True))
    if path.endswith("/file"):  # only an export's run has a file
        made = set(JobFile.objects.filter(role="output").values_list("run_id", flat=True))
        values = [v for v in values if v in made]
    if path.endswith("/notice.pdf"):  # only a decided application has its notice
        noticed = set(
            PledgeDocument.objects.filter(
                kind__in=["registration_notice", "refusal_notice"]
            ).values_list("pledge_id", flat=True)
        )
        values = [v for v in values if v in noticed]
    assert values, f"the demo has no {param} of bank A"
    for value in values:
        response = demo.clients[reader].get(_url(path, param, value))
        assert response.status_code == 200, (path, value, response.status_code)


# --- lists ------------------------------------------------------------------------------------


def _items(payload: Any) -> list[Any]:
    if isinstance(payload, dict) and isinstance(payload.get("items"), list):
        return list(payload["items"])
    if isinstance(payload, list):
        return payload
    return []


def _ids(payload: Any) -> set[Any]:
    return {item["id"] for item in _items(payload) if isinstance(item, dict) and "id" in item}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("path", LIST_PATHS)
def test_list_shows_no_other_tenants_rows(demo: Demo, path: str, caller: str) -> None:
    response = demo.clients[caller].get(PREFIX + path)
    failures = []
    if response.status_code >= 500:
        failures.append(f"{caller} GET {path}: {response.status_code}")
    elif response.status_code == 200 and response["Content-Type"].startswith("application/json"):
        payload = response.json()
        param = LISTS[path]
        if param is not None:
            leaked = _ids(payload) & set(_foreign(demo, param, caller))
            if leaked:
                failures.append(f"{caller} GET {path} shows {param} {sorted(leaked)}")
        elif path == "/whitelist/figures":
            failures += _figures_leaks(payload, demo, caller)
        elif path == "/risk/npl-tolerance":
            org = demo.orgs[caller]
            banks = {item["bank"]["id"] for item in _items(payload)}
            if org is None or banks - {org.pk}:
                failures.append(f"{caller} GET {path} shows banks {sorted(banks)}")
        elif path == "/risk/signals":  # no sweep caller is the office or a regulator
            failures.append(f"{caller} GET {path}: 200")
        elif path == "/notifications":
            org = demo.orgs[caller]
            others = Notification.objects.filter(pk__in=_ids(payload)).exclude(organisation=org)
            if others.exists():
                failures.append(f"{caller} GET {path} shows another organisation's notifications")
    elif response.status_code == 200 and caller == "anonymous":
        failures.append(f"anonymous GET {path}: 200")
    _outcome("GET", path, caller, failures)


def _figures_leaks(payload: Any, demo: Demo, caller: str) -> list[str]:
    # A bank's conversion figures are its own pairs: no other bank's row, no batch not pushed to it.
    org = demo.orgs[caller]
    rows = payload["by_bank"] + payload["recommendations"]
    banks = {r["bank_id"] for r in rows if r["bank_id"] is not None}
    batches = {r["batch_id"] for r in payload["by_batch"]} & set(_foreign(demo, "batch_id", caller))
    leaks = [f"{caller} figures show bank {b}" for b in banks if org is None or b != org.pk]
    return leaks + [f"{caller} figures show batch {b}" for b in sorted(batches)]


def test_owner_npl_tolerance_shows_its_own_row(demo: Demo) -> None:
    # The key the check above reads is the right one: bank A's answer is bank A's row.
    payload = demo.clients["bank_a"].get(PREFIX + "/risk/npl-tolerance").json()
    assert [item["bank"]["id"] for item in payload["items"]] == [demo.bank_a.pk]


def test_owner_figures_show_its_own_rows(demo: Demo) -> None:
    # The keys _figures_leaks reads are the right ones: bank A's figures carry bank A's rows.
    payload = demo.clients["bank_a"].get(PREFIX + "/whitelist/figures").json()
    assert {r["bank_id"] for r in payload["by_bank"]} == {demo.bank_a.pk}
    assert {r["bank_id"] for r in payload["recommendations"]} == {demo.bank_a.pk}
    assert payload["by_batch"] and payload["total"]["pushed"] > 0


QUERY_BY_ID = [
    (path, q["name"])
    for m, path in OPERATIONS
    if m == "GET"
    for q in SCHEMA["paths"][PREFIX + path]["get"].get("parameters", [])
    if q["in"] == "query" and q["name"] in OWNED
]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("path", "param"), QUERY_BY_ID)
def test_query_parameter_with_another_tenants_id_is_refused(
    demo: Demo, path: str, param: str, caller: str
) -> None:
    # e.g. /whitelist/figures?batch_id=: the figures of a batch pushed to another bank.
    failures = []
    for value in _foreign(demo, param, caller):
        response = demo.clients[caller].get(PREFIX + path, {param: value})
        if response.status_code not in ACCEPTED_READ:
            failures.append(f"{caller} GET {path}?{param}={value}: {response.status_code}")
    _outcome("GET", f"{path}?{param}", caller, failures)


@pytest.mark.parametrize("path", [p for p in LIST_PATHS if LISTS[p] is not None])
def test_owner_list_shows_its_rows(demo: Demo, path: str) -> None:
    # The key extraction works: bank A sees at least one of its rows where it has any.
    param = LISTS[path]
    assert param is not None
    # Each list's owner: bank A, except the office's material and queue and the claimant's claims.
    if param in {"import_id", "rule_id"} or path == "/pledges/queue":
        owner = "office"
    elif param == "claim_id":
        owner = "enterprise_a"
    else:
        owner = "bank_a"
    response = demo.clients[owner].get(PREFIX + path)
    own = set(_foreign(demo, param, "bank_b" if owner != "enterprise_a" else "enterprise_b"))
    assert own, (path, "the demo has no row to see")
    assert response.status_code == 200, response.content[:300]
    assert _ids(response.json()) & own, (path, own)


# --- writes by id ---------------------------------------------------------------------------


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for alternative in schema.get("anyOf", ()):
        if alternative.get("type") != "null":
            return _resolve(alternative)
    return schema


def _sample(schema: dict[str, Any]) -> Any:
    schema = _resolve(schema)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        required = schema.get("required", [])
        return {k: _sample(v) for k, v in schema.get("properties", {}).items() if k in required}
    if kind == "array":
        return [_sample(schema.get("items", {}))]
    return {
        "integer": 1,
        "number": "1",
        "boolean": True,
        "string": "2026-01-01" if schema.get("format") == "date" else "1",
    }.get(str(kind))


def _body(method: str, path: str) -> dict[str, Any]:
    """A body of the right shape (the required fields with plausible values), so that the
    request gets past the schema to the selector that must refuse it; {} without a JSON body."""
    op = SCHEMA["paths"][PREFIX + path][method.lower()]
    content = op.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        return {"file": SimpleUploadedFile("contract.pdf", b"%PDF-1.4\n%%EOF\n")}
    schema = content.get("application/json", {}).get("schema")
    body = _sample(schema) if schema else {}
    return body if isinstance(body, dict) else {}


def _snapshot(owned: Owned, value: Any) -> tuple[dict[str, Any], tuple[int, ...]]:
    row = owned.model._default_manager.get(**{owned.lookup: value})
    counts = tuple(m._default_manager.count() for m in owned.related)
    return model_to_dict(row), counts


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "path"), WRITE_BY_ID)
def test_action_on_another_tenants_object_is_refused_and_changes_nothing(
    demo: Demo, method: str, path: str, caller: str
) -> None:
    (param,) = _path_params(method, path)
    owned = OWNED[param]
    values = _foreign(demo, param, caller)
    _probes(values, param, caller)
    if param in {"uscc", "number"}:
        values = values[:3]
    client = demo.clients[caller]
    failures = []
    for value in values:
        before = _snapshot(owned, value)
        url = _url(path, param, value)
        body = _body(method, path)
        if "file" in body:
            response = client.post(url, body)
        elif method == "PUT":
            response = client.put(url, body, content_type="application/json")
        else:
            response = client.post(url, body, content_type="application/json")
        if not _status_ok(response.status_code, ACCEPTED_WRITE):
            failures.append(
                f"{caller} {method} {path} {param}={value}: {response.status_code} "
                f"{response.content[:200]!r}"
            )
        if _snapshot(owned, value) != before:
            failures.append(f"{caller} {method} {path} {param}={value} changed the row")
    _outcome(method, path, caller, failures)
