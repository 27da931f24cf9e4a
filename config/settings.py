"""ipfin settings: everything comes from the environment, with defaults that run the demo as it is.

Environment variables:
- DATABASE_URL        default sqlite:///<project>/var/ipfin.sqlite3 (embedded, WAL mode)
- DJANGO_SECRET_KEY   required when DJANGO_HTTPS=1; otherwise a random key is kept in var/secret_key
- DJANGO_DEBUG        "1" to show debug pages (never in production); default off
- DJANGO_ALLOWED_HOSTS comma-separated; default 127.0.0.1,localhost
- DJANGO_HTTPS        "1" behind TLS: secure cookies, HSTS, SSL redirect
- IPFIN_EXAMINATION_WORKING_DAYS  examiner deadline in Chinese working days (default 5)
- IPFIN_DEMO          1 under `make demo`: the login page lists the demo logins (never in prod)
- IPFIN_DUAL_CONTROL_ABOVE  debt (yuan) above which a registration needs a second examiner (unset)
- IPFIN_MEDIA_ROOT    where uploaded contracts are stored (default var/media)
- IPFIN_FONT_CACHE_DIR  where the PDFs' static font instances are kept (ipfin.common.pdf; default
                      $XDG_CACHE_HOME/ipfin/fonts or ~/.cache/ipfin/fonts: shared by checkouts)
- IPFIN_ANON_CALCULATOR_RATE  anonymous calculator requests per client address (default 30/m)
- IPFIN_ANON_SEARCH_RATE  anonymous searches of the public register per client address (default
                      60/m)
- IPFIN_ANON_READ_RATE  anonymous public reads over many rows (the index ranking, a zone's history,
                      the trading figures, comparables) per client address (default 120/m)
- DATABASE_REPLICA_URL  a read replica of DATABASE_URL (PostgreSQL streaming replication): the
                      reports and the public query read it; unset: they read the primary
- CELERY_BROKER_URL   the background jobs' broker (amqp://guest:guest@127.0.0.1:5672// or
                      redis://127.0.0.1:6379/0); unset: every job runs in-process (eager)
- IPFIN_JOBS_CHUNK_SIZE  rows per chunk of a chunked background job (default 5000)
- IPFIN_JOBS_TIME_LIMIT  seconds a task may run on a worker before it is stopped and its run
                      failed (default 1380)
- IPFIN_JOBS_AFTER_WAIT  seconds between two looks of a run waiting for the job it comes after
                      (the risk scan behind the classification; default 60)
- IPFIN_SCORE_CHUNK_SIZE  rights each chunk of the background scoring reads (default 125000)
- IPFIN_SCORE_READERS  connections `ipfin score_portfolio` reads the register over at once on
                      PostgreSQL, each a range of rights (default 2; 1: one query)
- IPFIN_SCORE_WRITERS  connections it writes the scores over at once on PostgreSQL, into a new
                      table that replaces the stored one (default 2; 1: one COPY)
- IPFIN_AUDIT_CHUNK_SIZE  audit records each chunk of the background chain verification walks
  (default 200000)
- IPFIN_WEBHOOK_ALLOW_HTTP     "1": webhooks may use http:// (default https only)
- IPFIN_WEBHOOK_ALLOW_PRIVATE  "1": webhooks may call loopback and private addresses (tests, a
                      bank's own network; default public addresses only)
- IPFIN_WEBHOOK_TIMEOUT        seconds a receiver has to answer a delivery (default 10)
- IPFIN_WEBHOOK_FIRST_RETRY_SECONDS  the first wait after a failed delivery, doubled after each
                      further failure up to an hour (default 30)
"""

from __future__ import annotations

import os
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("IPFIN_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_flag("DJANGO_DEBUG", False)
HTTPS = _env_flag("DJANGO_HTTPS", False)


def _secret_key() -> str:
    key = os.environ.get("DJANGO_SECRET_KEY")
    if key:
        return key
    if HTTPS:
        # A deployment's secret comes from its environment, never from a file we made up.
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_HTTPS=1")
    # The embedded demo needs no configuration: keep one random key per installation.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "ninja",
    "ipfin.common",
    "ipfin.accounts",
    "ipfin.audit",
    "ipfin.feed",
    "ipfin.jobs",
    "ipfin.holidays",
    "ipfin.registry",
    "ipfin.pledges",
    "ipfin.valuation",
    "ipfin.financing",
    "ipfin.loans",
    "ipfin.whitelist",
    "ipfin.risk",
    "ipfin.disposals",
    "ipfin.outreach",
    "ipfin.stats",
    "ipfin.zoneindex",
    "ipfin.securitisation",
    "ipfin.guarantees",
    "ipfin.insurance",
    "ipfin.trading",
    "ipfin.web",
    "ipfin.portal",
    "ipfin.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ipfin.web.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Chinese unless the user chose English (pages ignore Accept-Language; the API keeps it).
    "ipfin.web.middleware.ChineseFirstLocaleMiddleware",
    # Before anything reads the body (the CSRF check, the views), in the request's language: a
    # declared body over IPFIN_MAX_REQUEST_BYTES is a 413.
    "ipfin.web.middleware.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After WhiteNoise (static files stay cacheable): Cache-Control no-store for logged-in users.
    "ipfin.web.middleware.NoStoreForAuthenticatedMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After authentication and the locale: a retried API POST replays its first answer.
    "ipfin.accounts.idempotency.IdempotencyMiddleware",
    # A regulator's reads through its supervision cases are audited once the answer is made.
    "ipfin.accounts.middleware.SupervisionReadAuditMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ipfin.web.context_processors.navigation",
                "ipfin.web.context_processors.punctuation",
            ],
        },
    }
]

_default_db = f"sqlite:///{VAR_DIR / 'ipfin.sqlite3'}"


def _conn_max_age() -> int:
    """IPFIN_DB_CONN_MAX_AGE: seconds a database connection is kept for the next request (Django's
    CONN_MAX_AGE). 0 (the default: the development server, the tests) closes it after each
    request; `ipfin serve` sets 60, so that each of its workers keeps one connection instead of
    opening one per request (2.5× the trivial endpoint's throughput on PostgreSQL)."""
    raw = os.environ.get("IPFIN_DB_CONN_MAX_AGE", "").strip() or "0"
    if not (raw.isascii() and raw.isdigit()):
        raise ImproperlyConfigured(
            f"IPFIN_DB_CONN_MAX_AGE must be a whole number of seconds, not {raw!r}"
        )
    return int(raw)


def _prepare_threshold() -> int | None:
    """IPFIN_DB_PREPARED_STATEMENTS: 1 (the default) lets the few queries that ask for it
    (`ipfin.common.databases.prepared_cursor`: the pre-check's read of the register) be kept
    prepared on their PostgreSQL connection; 0 turns that off, as Django's default does, for a
    pooler in transaction mode that does not carry prepared statements (PgBouncer before 1.21).
    Django's own queries bind their values in the client and are never prepared either way."""
    raw = os.environ.get("IPFIN_DB_PREPARED_STATEMENTS", "").strip() or "1"
    if raw not in ("0", "1"):
        raise ImproperlyConfigured(f"IPFIN_DB_PREPARED_STATEMENTS must be 0 or 1, not {raw!r}")
    return 5 if raw == "1" else None  # psycopg's own threshold; None: never prepare


DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_db),
        conn_max_age=_conn_max_age(),
        conn_health_checks=True,
    )
}
# A read replica for the reports and the public query (ipfin.common.databases): a PostgreSQL
# streaming replica of the primary. In the tests it mirrors the primary.
if os.environ.get("DATABASE_REPLICA_URL", "").strip():
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=_conn_max_age(),
        conn_health_checks=True,
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so two
        # writers serialise instead of failing with "database is locked" on lock upgrade.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {
        "NAME": str(VAR_DIR / os.environ.get("IPFIN_TEST_DB", "test_ipfin.sqlite3"))
    }
elif os.environ.get("IPFIN_TEST_DB"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["IPFIN_TEST_DB"]}
_PREPARE_THRESHOLD = _prepare_threshold()  # read whatever the database: a typo stops the start
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _options = _database.setdefault("OPTIONS", {})
        _options["prepare_threshold"] = _PREPARE_THRESHOLD

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:public_query"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Language: Simplified Chinese first, English switchable.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "ipfin" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# `ipfin serve` collects the static files under names hashed by their content (far-future
# caching, compressed copies: ipfin.web.static_storage) and serves only what it collected.
STATIC_MANIFEST = os.environ.get("IPFIN_STATIC_MANIFEST", "") == "1"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "ipfin.web.static_storage.ServedStaticStorage"
        if STATIC_MANIFEST
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
# Elsewhere straight from the app directories too, so `runserver` with DEBUG off needs no
# collectstatic (those copies win over the collected ones, compressed or not).
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(os.environ.get("IPFIN_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served publicly: contracts are downloaded through a permission check

# Nothing correctness-relevant lives in the cache (login throttling counts are in the database), so
# the embedded default needs no cache server. The anonymous calculators' rate counts live here, per
# process with this local-memory cache (ipfin.accounts.ratelimit), with room for many addresses.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }
}

# Security defaults. Plain HTTP on 127.0.0.1 works with DEBUG off; DJANGO_HTTPS=1 turns on the
# settings a TLS deployment needs (and that `ipfin check --deploy` asks for).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# On every HTML response (ipfin.web.middleware): scripts and style sheets from this origin only
# (no inline code, handler or style attribute), images also as data: URIs, no framing.
IPFIN_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Login throttling (ipfin.accounts.throttle): failures per username and per client address.
LOGIN_FAILURE_LIMIT = int(os.environ.get("IPFIN_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_LOCKOUT_SECONDS = int(os.environ.get("IPFIN_LOGIN_LOCKOUT_SECONDS", "900"))
# The anonymous calculators (POST /api/v1/valuations/preview, /api/v1/schedules/preview): requests
# per client address, "N/s|m|h|d" (ipfin.accounts.ratelimit); logged-in callers are not counted.
IPFIN_ANON_CALCULATOR_RATE = os.environ.get("IPFIN_ANON_CALCULATOR_RATE", "30/m")
IPFIN_ANON_SEARCH_RATE = os.environ.get("IPFIN_ANON_SEARCH_RATE", "60/m")
IPFIN_ANON_READ_RATE = os.environ.get("IPFIN_ANON_READ_RATE", "120/m")
# The client address behind N reverse proxies of our own: the Nth X-Forwarded-For entry from the
# right (0: REMOTE_ADDR, the header is ignored).
IPFIN_TRUSTED_PROXY_COUNT = int(os.environ.get("IPFIN_TRUSTED_PROXY_COUNT", "0"))

# Domain configuration.
IPFIN_EXAMINATION_WORKING_DAYS = int(os.environ.get("IPFIN_EXAMINATION_WORKING_DAYS", "5"))
# The 价值度 score: a right's cohort backs off until it holds at least this many rights of its
# kind (ipfin.valuation.domain.cohorts), and the shares of the register in grades A, B, C, D.
IPFIN_SCORE_MIN_COHORT = int(os.environ.get("IPFIN_SCORE_MIN_COHORT", "30"))
IPFIN_SCORE_GRADE_SHARES = tuple(
    float(share)
    for share in os.environ.get("IPFIN_SCORE_GRADE_SHARES", "0.15,0.25,0.40,0.20").split(",")
)
# Dual control: an approval of a pledge securing more than this many yuan needs a second examiner
# (unset: none). The demo sets 50,000,000.
# The server runs as the demo (`make demo` sets IPFIN_DEMO=1): the login page lists the demo logins.
IPFIN_DEMO = os.environ.get("IPFIN_DEMO", "").strip().lower() in ("1", "true", "yes")
IPFIN_DUAL_CONTROL_ABOVE = (
    Decimal(os.environ["IPFIN_DUAL_CONTROL_ABOVE"])
    if os.environ.get("IPFIN_DUAL_CONTROL_ABOVE", "").strip()
    else None
)


# Background jobs (ipfin.jobs) on Celery (config.celery). Without a broker the tasks run in the
# process that sends them (eager): the demo and the default tests need nothing more.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "").strip() or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# One queue for every task; a second deployment (or a test) on the same broker takes its own.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("IPFIN_CELERY_QUEUE", "ipfin")
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged once it has run: a worker lost in the middle gives it back to the broker.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The runs' state and results are kept in the database (ipfin.jobs.models), not in a backend.
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A task that runs past IPFIN_JOBS_TIME_LIMIT seconds is stopped (its chunk rolled back, its run
# failed with the reason) instead of holding a worker for good; one that ignores the stop is
# killed a minute later. Under RabbitMQ's consumer timeout (30 minutes by default) with room for
# a retry's wait (up to 5 minutes, held unacknowledged by the worker): a message unacknowledged
# longer would lose its channel. Not applied in process.
IPFIN_JOBS_TIME_LIMIT = float(os.environ.get("IPFIN_JOBS_TIME_LIMIT", "1380"))
CELERY_TASK_SOFT_TIME_LIMIT = IPFIN_JOBS_TIME_LIMIT
CELERY_TASK_TIME_LIMIT = IPFIN_JOBS_TIME_LIMIT + 60
IPFIN_JOBS_CHUNK_SIZE = int(os.environ.get("IPFIN_JOBS_CHUNK_SIZE", "5000"))
# The scoring's chunks are few and large: each is one aggregation over its range of rights.
IPFIN_SCORE_CHUNK_SIZE = int(os.environ.get("IPFIN_SCORE_CHUNK_SIZE", "125000"))
IPFIN_AUDIT_CHUNK_SIZE = int(os.environ.get("IPFIN_AUDIT_CHUNK_SIZE", "200000"))
# The direct scoring's read, cut into this many ranges of rights read over as many connections
# at once: the aggregation is the server's work, one core per connection.
IPFIN_SCORE_READERS = max(1, int(os.environ.get("IPFIN_SCORE_READERS", "2")))
# The direct scoring's write, over this many connections at once into a new table swapped in.
IPFIN_SCORE_WRITERS = max(1, int(os.environ.get("IPFIN_SCORE_WRITERS", "2")))
# Seconds a chunk waits before it commits: set only by the test that kills a worker mid-chunk.
IPFIN_JOBS_CHUNK_PAUSE = float(os.environ.get("IPFIN_JOBS_CHUNK_PAUSE", "0"))
# Seconds between two looks of a run waiting for the jobs it comes after (JobSpec.after).
IPFIN_JOBS_AFTER_WAIT = float(os.environ.get("IPFIN_JOBS_AFTER_WAIT", "60"))


def _nightly(job: str, hour: int, minute: int = 0) -> dict[str, Any]:
    return {
        "task": "ipfin.jobs.launch",
        "args": [job],
        "schedule": crontab(hour=hour, minute=minute),
    }


# Beat's schedule (`ipfin celery beat`): each daily job at night, in the order their inputs need
# (the classification before the scan that reads it; a scan sent while the classification still
# runs waits for it: JobSpec.after), the webhooks every minute.
CELERY_BEAT_SCHEDULE = {
    "lapse_pledge_applications": _nightly("lapse_pledge_applications", 0, 30),
    "classify_loans": _nightly("classify_loans", 1),
    "risk_scan": _nightly("risk_scan", 2),
    "score_portfolio": _nightly("score_portfolio", 3),
    "snapshot_positions": _nightly("snapshot_positions", 4),
    "audit_verify": _nightly("audit_verify", 5),
    "remind_ledger": _nightly("remind_ledger", 8, 30),
    "deliver_webhooks": {"task": "ipfin.feed.deliver", "schedule": 60.0},
    "sweep_jobs": {"task": "ipfin.jobs.sweep", "schedule": 600.0},
}


# The change feed's webhooks (ipfin.feed).
def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


IPFIN_WEBHOOK_ALLOW_HTTP = _flag("IPFIN_WEBHOOK_ALLOW_HTTP")
IPFIN_WEBHOOK_ALLOW_PRIVATE = _flag("IPFIN_WEBHOOK_ALLOW_PRIVATE")
IPFIN_WEBHOOK_TIMEOUT = float(os.environ.get("IPFIN_WEBHOOK_TIMEOUT", "10"))
# The serving process delivers them itself once a minute when no broker runs them (the demo).
IPFIN_WEBHOOK_DELIVER_IN_PROCESS = (
    _flag("IPFIN_WEBHOOK_DELIVER_IN_PROCESS")
    if "IPFIN_WEBHOOK_DELIVER_IN_PROCESS" in os.environ
    else os.environ.get("IPFIN_DEMO", "").strip().lower() in ("1", "true", "yes")
)
IPFIN_WEBHOOK_FIRST_RETRY_SECONDS = float(os.environ.get("IPFIN_WEBHOOK_FIRST_RETRY_SECONDS", "30"))
# API bearer tokens expire after this many days unless issued for fewer (or more, up to 365).
IPFIN_API_TOKEN_DAYS = int(os.environ.get("IPFIN_API_TOKEN_DAYS", "90"))
# The regular and bold instances of the PDFs' font, made once from the installed variable font
# (ipfin.common.pdf): outside the checkout, so that a fresh clone does not make them again.
IPFIN_FONT_CACHE_DIR = Path(
    os.environ.get(
        "IPFIN_FONT_CACHE_DIR",
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ipfin" / "fonts",
    )
)
IPFIN_CONTRACT_MAX_BYTES = int(os.environ.get("IPFIN_CONTRACT_MAX_BYTES", str(20 * 1024 * 1024)))
# The largest request body read at all (ipfin.web.middleware.RequestSizeLimitMiddleware): the
# largest upload (a contract) and 1 MB for the form around it.
IPFIN_MAX_REQUEST_BYTES = IPFIN_CONTRACT_MAX_BYTES + 1024 * 1024
IPFIN_SHARED_DATA_DIR = Path(
    os.environ.get("IPFIN_SHARED_DATA_DIR", BASE_DIR.parent / "shared" / "data")
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Credit codes and ID numbers are masked to their last four characters (ipfin.common.masking).
    "formatters": {
        "plain": {
            "()": "ipfin.common.masking.MaskingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "ipfin": {"handlers": ["console"], "level": "INFO"},
        "django.request": {"handlers": ["console"], "level": "ERROR"},
    },
}

LANGUAGE_COOKIE_NAME = "ipfin_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600  # the language chosen is remembered for a year
LANGUAGE_COOKIE_SAMESITE = "Lax"
