"""The one permission layer. UI views, API endpoints and services all ask here.

Three questions only:
- `require(user, perm)`: may this user perform this kind of action at all? (role-based)
- `tenant_scope(user, ...)`: which rows of a tenant-owned table may this user see? (row-based)
- `customer_scope(user, ...)`: which enterprises' own records (an enterprise's credit profile)
  may this user read? (the enterprise itself; a bank, the enterprises it deals with)
A regulator's "view all" over single records reaches only what its open supervision cases name
(`_case_scope`), and each such read is audited.
Selectors apply `tenant_scope` and `customer_scope`; services call `require` before they write.
Nothing else filters by tenant on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeAlias

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from ipfin.accounts.customers import customers_of
from ipfin.accounts.models import Organisation, OrganisationKind, Role, SupervisionCase, User
from ipfin.common.errors import Conflict, NotAuthenticated, PermissionDenied

# Who calls a selector: a logged-in user or nobody (the public reads). A service's actor is a
# `User`; `require` and `require_login` answer the user they let through.
Actor: TypeAlias = User | AnonymousUser


class Perm(StrEnum):
    REGISTRY_WRITE = "registry.write"  # create rights, record legal events
    PLEDGE_APPLY = "pledge.apply"  # file, correct, change, release (pledgee side)
    PLEDGE_CO_SIGN = "pledge.co_sign"  # file or confirm jointly as pledgor (enterprises)
    PLEDGE_DECIDE = "pledge.decide"  # examine: approve, reject, request correction
    PLEDGE_VIEW_ALL = "pledge.view_all"  # see every application, not only one's own
    # Assign an examination case to an examiner, or take it back (the office's administrators,
    # who supervise the examiners; an examiner claims a case for itself with PLEDGE_DECIDE).
    PLEDGE_ASSIGN = "pledge.assign"
    AUDIT_READ = "audit.read"
    STATS_READ = "stats.read"
    # The monitoring figures of one's own book (ipfin.stats): a bank its loans, a park its member
    # enterprises' loans; STATS_READ (IP office administrators, regulators) reads them all.
    STATS_OWN = "stats.own"
    VALUATION_WRITE = "valuation.write"  # make, issue and recheck valuations (banks, agencies)
    VALUATION_VIEW_ALL = "valuation.view_all"  # see every valuation (IP office, regulators)
    # Upload the agency's seal image printed on its reports (a valuation agency's administrators).
    VALUATION_SEAL_MANAGE = "valuation.seal_manage"
    PRODUCT_PUBLISH = "financing.product_publish"  # publish products (banks, insurers, guarantors)
    POLICY_PUBLISH = "financing.policy_publish"  # publish policies (IP office, parks)
    DEMAND_FILE = "financing.demand_file"  # file financing demands (enterprises, their parks)
    DEMAND_RESPOND = "financing.demand_respond"  # answer demands in the feedback ledger (banks)
    FINANCING_VIEW_ALL = "financing.view_all"  # every demand and ledger row (IP office, regulators)
    WHITELIST_MANAGE = "whitelist.manage"  # rules, imports, batches, pushes (IP office)
    WHITELIST_FOLLOW_UP = "whitelist.follow_up"  # follow-ups and recommendations (banks)
    WHITELIST_VIEW_ALL = "whitelist.view_all"  # read batches, figures (office, regulators)
    LOAN_MANAGE = "loans.manage"  # approve, disburse, record repayments, close (banks)
    LOAN_VIEW_ALL = "loans.view_all"  # every loan (IP office, regulators)
    SUBSIDY_APPLY = "loans.subsidy_apply"  # claim interest subsidies (enterprises)
    SUBSIDY_REVIEW = "loans.subsidy_review"  # review and allocate subsidies (IP office)
    CALENDAR_MANAGE = "calendar.manage"  # record each year's holiday arrangement (IP office admin)
    RISK_SCHEME_MANAGE = "risk.scheme_manage"  # compensation schemes, fund budgets (IP office)
    RISK_CLAIM_FILE = "risk.claim_file"  # claim compensation on one's own bad loans (banks)
    RISK_CLAIM_REVIEW = "risk.claim_review"  # approve, pay and settle claims (IP office)
    RISK_VIEW_ALL = "risk.view_all"  # every claim and fund ledger (IP office, regulators)
    RISK_SCAN = "risk.scan"  # run the early-warning scan (IP office)
    RISK_ALERT_HANDLE = "risk.alert_handle"  # acknowledge and resolve alerts (banks, IP office)
    RISK_ALERTS_ALL = "risk.alerts_all"  # read every bank's alerts (IP office)
    RISK_NPL_REPORT = "risk.npl_report"  # report its overall NPL ratio per quarter (banks)
    # Anomaly signals and every bank's NPL tolerance (IP office, regulators): aggregates and
    # evidence for supervision (DOMAIN.md Roles: the regulator reads "NPL tolerance, anomaly
    # signals").
    RISK_SIGNALS_READ = "risk.signals_read"
    SUPERVISE = "supervision.open"  # open and close supervision cases (regulators)
    # 质物处置 (ipfin.disposals): list a defaulted pledge and complete its sale (the pledgee bank);
    # bid on the trading board (enterprises, banks, insurers, guarantors: buyers of IP); buy a
    # listing no one bid on after 180 days (收储: the designated institution, a trading centre).
    DISPOSAL_MANAGE = "disposals.manage"
    DISPOSAL_BID = "disposals.bid"
    DISPOSAL_BACKSTOP = "disposals.backstop"
    OUTREACH_PUBLISH = "outreach.publish"  # the library: articles, events, experts (IP office)
    ZONE_INDEX_MANAGE = "zoneindex.manage"  # index systems, zone values, runs (IP office)
    # 融资担保 (ipfin.guarantees): issue or decline a guarantee a bank asks for, pay it when
    # called (guarantors).
    GUARANTEE_ISSUE = "guarantees.issue"
    # 知识产权保险 (ipfin.insurance): issue policies as the lead insurer, assess and pay claims
    # (insurers).
    INSURANCE_ISSUE = "insurance.issue"
    # 知识产权运营 (ipfin.trading): offer one's own rights for sale or licence and agree a deal
    # (enterprises); express interest in a listing (enterprises); consent, as pledgee, to a deal
    # on a pledged right (banks); record a deal in the register (trading centres).
    TRADE_LIST = "trading.list"
    TRADE_INTEREST = "trading.interest"
    TRADE_CONSENT = "trading.consent"
    TRADE_RECORD = "trading.record"
    # The change feed (ipfin.feed): read the events about one's own pledges, pledged rights and
    # loans, and subscribe webhooks to them (banks; enterprises, of their own pledges and rights;
    # the IP office); FEED_ALL reads every organisation's events (the IP office).
    FEED_READ = "feed.read"
    FEED_ALL = "feed.all"
    # Watch the background jobs' runs and start one (the IP office's administrators).
    JOBS_MANAGE = "jobs.manage"
    # Register an organisation other than an enterprise (a bank, an insurer, an office, a
    # regulator...): those act on the platform through their users, so registering one is the
    # IP office administrators' task; examiners register right holders (enterprises) only.
    ORGANISATION_MANAGE = "organisations.manage"
    # Import credit data files (纳税信用等级, 信用中国, 裁判文书) that feed the IP + credit
    # scorecard, and export the pledge registrations and demands to the national platforms
    # (the IP office).
    CREDIT_IMPORT = "valuation.credit_import"
    DATA_EXCHANGE = "exchange.export"


# (organisation kind, role) -> permissions; None as role means "any role of that kind".
_GRANTS: dict[tuple[str, str | None], frozenset[Perm]] = {
    (OrganisationKind.BANK, None): frozenset(
        {
            Perm.PLEDGE_APPLY,
            Perm.VALUATION_WRITE,
            Perm.PRODUCT_PUBLISH,
            Perm.DEMAND_RESPOND,
            Perm.WHITELIST_FOLLOW_UP,
            Perm.LOAN_MANAGE,
            Perm.RISK_CLAIM_FILE,
            Perm.RISK_ALERT_HANDLE,
            Perm.DISPOSAL_MANAGE,
            Perm.DISPOSAL_BID,
            Perm.RISK_NPL_REPORT,
            Perm.STATS_OWN,
            Perm.TRADE_CONSENT,
            Perm.FEED_READ,
        }
    ),
    (OrganisationKind.INSURER, None): frozenset(
        {Perm.PRODUCT_PUBLISH, Perm.DISPOSAL_BID, Perm.INSURANCE_ISSUE}
    ),
    (OrganisationKind.GUARANTOR, None): frozenset(
        {Perm.PRODUCT_PUBLISH, Perm.DISPOSAL_BID, Perm.GUARANTEE_ISSUE}
    ),
    (OrganisationKind.ENTERPRISE, None): frozenset(
        {
            Perm.DEMAND_FILE,
            Perm.SUBSIDY_APPLY,
            Perm.PLEDGE_CO_SIGN,
            Perm.DISPOSAL_BID,
            Perm.TRADE_LIST,
            Perm.TRADE_INTEREST,
            Perm.FEED_READ,
        }
    ),
    (OrganisationKind.TRADING_CENTRE, None): frozenset({Perm.DISPOSAL_BACKSTOP, Perm.TRADE_RECORD}),
    (OrganisationKind.PARK, None): frozenset(
        {Perm.DEMAND_FILE, Perm.POLICY_PUBLISH, Perm.STATS_OWN}
    ),
    # Financing is the IP office's business whatever the role; pledge decisions stay with examiners.
    (OrganisationKind.IP_OFFICE, None): frozenset(
        {
            Perm.POLICY_PUBLISH,
            Perm.FINANCING_VIEW_ALL,
            Perm.WHITELIST_MANAGE,
            Perm.WHITELIST_VIEW_ALL,
            Perm.LOAN_VIEW_ALL,
            Perm.SUBSIDY_REVIEW,
            Perm.RISK_SCHEME_MANAGE,
            Perm.RISK_CLAIM_REVIEW,
            Perm.RISK_VIEW_ALL,
            Perm.RISK_SCAN,
            Perm.RISK_ALERT_HANDLE,
            Perm.RISK_ALERTS_ALL,
            Perm.RISK_SIGNALS_READ,
            Perm.OUTREACH_PUBLISH,
            Perm.ZONE_INDEX_MANAGE,
            Perm.FEED_READ,
            Perm.FEED_ALL,
            Perm.CREDIT_IMPORT,
            Perm.DATA_EXCHANGE,
        }
    ),
    (OrganisationKind.VALUATION_AGENCY, None): frozenset({Perm.VALUATION_WRITE}),
    (OrganisationKind.VALUATION_AGENCY, Role.ADMIN): frozenset({Perm.VALUATION_SEAL_MANAGE}),
    (OrganisationKind.IP_OFFICE, Role.EXAMINER): frozenset(
        {
            Perm.PLEDGE_DECIDE,
            Perm.PLEDGE_VIEW_ALL,
            Perm.REGISTRY_WRITE,
            Perm.AUDIT_READ,
            Perm.VALUATION_VIEW_ALL,
        }
    ),
    (OrganisationKind.IP_OFFICE, Role.ADMIN): frozenset(
        {
            Perm.PLEDGE_DECIDE,
            Perm.PLEDGE_VIEW_ALL,
            Perm.REGISTRY_WRITE,
            Perm.AUDIT_READ,
            Perm.STATS_READ,
            Perm.VALUATION_VIEW_ALL,
            # Deadlines are counted on it: the administrators keep it, not the examiners whose
            # own deadlines it sets.
            Perm.CALENDAR_MANAGE,
            Perm.PLEDGE_ASSIGN,
            Perm.JOBS_MANAGE,
            Perm.ORGANISATION_MANAGE,
        }
    ),
    (OrganisationKind.REGULATOR, None): frozenset(
        {
            Perm.STATS_READ,
            Perm.AUDIT_READ,
            Perm.VALUATION_VIEW_ALL,
            Perm.FINANCING_VIEW_ALL,
            Perm.LOAN_VIEW_ALL,
            Perm.WHITELIST_VIEW_ALL,
            Perm.SUPERVISE,
            Perm.RISK_VIEW_ALL,
            Perm.RISK_SIGNALS_READ,
        }
    ),
}

# The supervisors' reads of single records. A regulator (`Perm.SUPERVISE`) holds them only over
# the organisations its open supervision cases name (DOMAIN.md, Roles: a regulator reads
# "aggregates across banks"); the IP office keeps them whole (it runs the register and the
# programmes those records belong to).
_SUPERVISED_READS = frozenset(
    {
        Perm.LOAN_VIEW_ALL,
        Perm.VALUATION_VIEW_ALL,
        Perm.FINANCING_VIEW_ALL,
        Perm.WHITELIST_VIEW_ALL,
        Perm.RISK_VIEW_ALL,  # a bank's compensation claims (the funds' ledgers stay readable)
    }
)
# Set on the user object of a request whose reads went through supervision cases: the ids of
# those cases, which `SupervisionReadAuditMiddleware` records once the answer is made.
SUPERVISION_READ_MARK = "_supervision_cases_read"


def permissions_of(user: Any) -> frozenset[Perm]:
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    if getattr(user, "is_superuser", False):
        return frozenset(Perm)
    org = getattr(user, "organisation", None)
    if org is None:
        return frozenset()
    return _GRANTS.get((org.kind, None), frozenset()) | _GRANTS.get(
        (org.kind, user.role), frozenset()
    )


def has_perm(user: Any, perm: Perm) -> bool:
    return perm in permissions_of(user)


def require_login(user: Any) -> User:
    """The logged-in user, or NotAuthenticated (401)."""
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotAuthenticated("请先登录。", "Authentication required.")
    return user


def require(user: Any, perm: Perm) -> User:
    """The logged-in user holding `perm`: NotAuthenticated (401) or PermissionDenied (403)
    otherwise."""
    logged_in = require_login(user)
    if not has_perm(logged_in, perm):
        raise PermissionDenied(
            "您没有执行此操作的权限。", "You do not have permission to do this.", code="forbidden"
        )
    return logged_in


def require_organisation_admin(user: Any, organisation: Organisation | None) -> User:
    """The logged-in administrator (role `admin`) of `organisation`, or a superuser: who turns the
    organisation's second-factor requirement on or off and resets a member's lost authenticator.
    PermissionDenied `not_organisation_admin` (403) for anyone else (for a user of no
    organisation, anyone but a superuser)."""
    logged_in = require_login(user)
    if logged_in.is_superuser:
        return logged_in
    if (
        organisation is None
        or logged_in.role != Role.ADMIN
        or logged_in.organisation_id != organisation.pk
    ):
        raise PermissionDenied(
            "只有本机构的管理员可以执行此操作。",
            "Only an administrator of the organisation may do this.",
            code="not_organisation_admin",
        )
    return logged_in


def may_examine(user: Any) -> bool:
    """Whether `user` may hold examination cases (claim one, be assigned one): an active user
    holding `Perm.PLEDGE_DECIDE` (the IP office's examiners and administrators)."""
    return bool(getattr(user, "is_active", False)) and has_perm(user, Perm.PLEDGE_DECIDE)


def case_holders(organisation: Organisation | None) -> Q:
    """The users (a Q over User) who may hold `organisation`'s examination cases: its active
    users whose role is granted `Perm.PLEDGE_DECIDE` by the grants table (none for an
    organisation whose kind decides nothing). What `may_examine` answers for one user."""
    if organisation is None:
        return Q(pk__in=[])
    if Perm.PLEDGE_DECIDE in _GRANTS.get((organisation.kind, None), frozenset()):
        roles = [str(role) for role in Role]
    else:
        roles = [
            str(role)
            for role in Role
            if Perm.PLEDGE_DECIDE in _GRANTS.get((organisation.kind, role), frozenset())
        ]
    return Q(organisation_id=organisation.pk, is_active=True, role__in=roles)


def require_case_holder(user: Any, assignee: User | None) -> User:
    """The logged-in user holding `Perm.PLEDGE_DECIDE` who may decide a case held by `assignee`
    (None: held by no one): anyone when no one holds it, else only its holder. A case another
    examiner claimed or was assigned is refused with 409 `case_claimed_by_other`, naming the
    holder, until it is released or reassigned (the office's administrators: `Perm.PLEDGE_ASSIGN`).
    """
    logged_in = require(user, Perm.PLEDGE_DECIDE)
    if assignee is not None and assignee.pk != logged_in.pk:
        name = assignee.get_full_name() or assignee.get_username()
        raise Conflict(
            f"本案已由审查员 {name} 认领或承办：只有承办审查员可以作出审查决定；"
            "如需由您办理，请管理员改派。",
            f"Examiner {name} holds this case: only the examiner holding it may decide it; ask an "
            "administrator to reassign it to you.",
            code="case_claimed_by_other",
            extra={"assignee": assignee.get_username()},
        )
    return logged_in


def acting_organisation(user: User) -> Organisation:
    """The organisation a user acts for; PermissionDenied `no_organisation` (403) for an account
    that belongs to none (a superuser may hold every permission and still have none)."""
    org: Organisation | None = user.organisation
    if org is None:
        raise PermissionDenied(
            "您的账号未关联机构。",
            "Your account belongs to no organisation.",
            code="no_organisation",
        )
    return org


@dataclass(frozen=True)
class StatsScope:
    """Whose loans a user's monitoring figures cover: every loan (`bank_id` and `park_id` None),
    one bank's loans, or the loans of one park's member enterprises."""

    bank_id: int | None = None
    park_id: int | None = None


def stats_scope(user: Any) -> StatsScope:
    """The monitoring scope of `user` (ipfin.stats): all loans with `Perm.STATS_READ` (the IP
    office's administrators, regulators), its own with `Perm.STATS_OWN` (a bank its loans, a park
    its members'); 401 anonymous, 403 anyone else."""
    logged_in = require_login(user)
    if has_perm(logged_in, Perm.STATS_READ):
        return StatsScope()
    org = acting_organisation(require(logged_in, Perm.STATS_OWN))
    if org.kind == OrganisationKind.PARK:
        return StatsScope(park_id=org.pk)
    return StatsScope(bank_id=org.pk)


def tenant_scope(user: Any, *org_fields: str, view_all: Perm | None = None) -> Q | None:
    """The rows of a tenant-owned table this user may see.

    `org_fields` name the foreign keys to Organisation that make a row "one's own" (e.g. the pledgee
    bank and the pledgor enterprise). Returns None when the user may see every row (`view_all`
    granted), a Q otherwise; an anonymous user or one without an organisation sees nothing.
    """
    if view_all is not None and has_perm(user, view_all):
        if view_all in _SUPERVISED_READS and has_perm(user, Perm.SUPERVISE):
            return _case_scope(user, org_fields)
        return None
    org_id = (
        getattr(user, "organisation_id", None) if getattr(user, "is_authenticated", False) else None
    )
    if org_id is None:
        return Q(pk__in=[])
    q = Q()
    for field in org_fields:
        q |= Q(**{field: org_id})
    return q


def customer_scope(user: Any, *, view_all: Perm | None = None) -> Q | None:
    """The enterprises (rows of `Organisation`) whose own records this user may read, such as
    an enterprise's credit profile and "IP + credit" score. Returns None when the user may read
    every one (`view_all` granted: the supervisors), a Q otherwise:

    - an organisation reads its own;
    - a bank reads, besides, the enterprises it deals with — that filed or confirmed a pledge
      or pledge application naming it as pledgee, applied to it for a loan (themselves or
      through their park), have a financing demand pushed to it (a feedback ledger row), or an
      entry in a published white-list batch pushed to it (`ipfin.accounts.customers`: each app
      provides its part). Never by what the bank filed or recorded alone, nor any
      enterprise by its credit code: a bank is no supervisor (DOMAIN.md, Roles: a bank
      sees its own customers);
    - anyone else (anonymous, no organisation) reads none.
    The selectors answer 404 for an enterprise outside the scope, as for another tenant's row.
    """
    if view_all is not None and has_perm(user, view_all):
        if view_all in _SUPERVISED_READS and has_perm(user, Perm.SUPERVISE):
            return _case_scope(user, ("pk",))
        return None
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    org = getattr(user, "organisation", None)
    if org is None:
        return Q(pk__in=[])
    own = Q(pk=org.pk)
    if org.kind != OrganisationKind.BANK:
        return own
    return own | customers_of(org.pk)


def _case_scope(user: Any, org_fields: tuple[str, ...]) -> Q:
    """The rows of a regulator's supervised read: those whose organisation fields name the subject
    of one of its organisation's open supervision cases; none without a case. Marks the user (for
    this request) with the cases read through, so that the read is audited."""
    cases = list(
        SupervisionCase.objects.filter(
            regulator_id=user.organisation_id, closed_at__isnull=True
        ).values_list("pk", "subject_id")
    )
    if not cases:
        return Q(pk__in=[])
    read: set[int] = getattr(user, SUPERVISION_READ_MARK, set())
    read.update(pk for pk, _ in cases)
    setattr(user, SUPERVISION_READ_MARK, read)
    subjects = sorted({subject for _, subject in cases})
    q = Q()
    for field in org_fields:
        q |= Q(**{f"{field}__in": subjects})
    return q
