"""Django settings for Bureau, read from environment variables with safe defaults.

DATABASE_URL       database (default: SQLite file under var/)
BUREAU_SECRET_KEY  signing key (default: generated once into var/secret_key)
BUREAU_AUDIT_KEY   the audit chain's HMAC key (default: generated once into var/audit_key)
BUREAU_DEBUG       "1" turns on Django's debug pages (never in production: they show PHI)
BUREAU_IDLE_MINUTES idle logoff after this many minutes (default 15)
BUREAU_DB_APP_ROLE PostgreSQL role the application runs as (non-owner, subject to RLS)
BUREAU_ALLOWED_HOSTS comma-separated host names
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("BUREAU_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if key := os.environ.get("BUREAU_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()


def _audit_key() -> str:
    # Outside the database on purpose: whoever can write the audit table cannot re-chain it.
    if key := os.environ.get("BUREAU_AUDIT_KEY"):
        return key
    if os.environ.get("BUREAU_HTTPS", "") in {"1", "true", "yes"}:
        # In production a process started without the key (a cron job, a one-off command)
        # would chain under a key of its own and break `audit verify`: refuse to start instead.
        raise ImproperlyConfigured(
            "BUREAU_AUDIT_KEY must be set in production (BUREAU_HTTPS=1): every process needs "
            "the same key, kept outside the database"
        )
    path = VAR_DIR / "audit_key"
    if not path.exists():
        # Owner-only from the start, and linked into place: two processes starting at once
        # (server and worker) end up with one key, never one each.
        tmp = VAR_DIR / f".audit_key.{os.getpid()}"
        tmp.touch(mode=0o600)
        tmp.write_text(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


BUREAU_AUDIT_KEY = _audit_key()
DEBUG = os.environ.get("BUREAU_DEBUG", "") in {"1", "true", "yes"}
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("BUREAU_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",
    "bureau.tenancy",
    "bureau.accounts",
    "bureau.audit",
    "bureau.directory",
    "bureau.patients",
    "bureau.claims",
    "bureau.configuration",
    "bureau.ledger",
    "bureau.remittance",
    "bureau.denials",
    "bureau.workqueues",
    "bureau.billing",
    "bureau.reports",
    "bureau.compliance",
    "bureau.clearinghouse",
    "bureau.offboarding",
    "bureau.web",
    "django_tasks",
    "django_tasks_db",
]

# Background jobs (ERA ingest, simulator runs): Django's tasks API with the database worker
# (`bureau db_worker`). Tests run queued tasks with `db_worker --batch` like production does.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A running ingest job whose worker showed no sign of life for this long, and is not known to
# be alive, is retried once or failed by the next worker's sweep (bureau.remittance.job_leases).
BUREAU_JOB_LEASE_SECONDS = float(os.environ.get("BUREAU_JOB_LEASE_SECONDS", "60"))

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every response to a signed-in user: "private, no-store" (PHI stays out of caches).
    "bureau.web.middleware.PrivateNoStoreMiddleware",
    # django-otp's, reading the authenticator in SQL written once (accounts.request_reads).
    "bureau.accounts.request_reads.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "bureau.audit.middleware.RequestContextMiddleware",
    "bureau.accounts.middleware.IdleLogoffMiddleware",
    "bureau.accounts.middleware.VerifiedLoginRequiredMiddleware",
    "bureau.tenancy.middleware.ActorMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last, so it runs the view after every other middleware has had its say.
    "bureau.audit.reads.ReadRequestMiddleware",
]

ROOT_URLCONF = "bureau.urls"
WSGI_APPLICATION = "bureau.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "bureau.web.context_processors.shell",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'bureau.sqlite3'}"),
        conn_max_age=0,
    )
}
# Keep a connection for the next request: a new one per request halved /healthz on
# PostgreSQL, and on SQLite cost ~2 ms a page (a new connection starts with a cold page
# cache). Safe under RLS: the practice scope is set per transaction (is_local) and every
# request is one transaction, so a reused connection starts with none; the role it assumes is
# the same for every request. Checked before reuse, dropped when broken.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("BUREAU_DB_CONN_MAX_AGE", "300"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Every request runs in one transaction: the audit event of a read or a change commits or
# rolls back with it, and PostgreSQL's per-transaction RLS setting covers the whole view.
# On SQLite a page that only reads is the exception: built on a read snapshot, its events
# appended in a short write right after (bureau.audit.reads).
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, remembering the transaction's RLS scope so it is set once per
    # transaction, not before every query (bureau.tenancy.postgresql).
    DATABASES["default"]["ENGINE"] = "bureau.tenancy.postgresql"
    # Parameters stay bound by Django's client-side cursor: server-side binding (and psycopg's
    # prepared statements) was measured against it on the load mix, rounds interleaved in one
    # process so the machine's drift falls on both: no faster (29.3 vs 27.8 ms of Python CPU
    # a page, the database 10.9 vs 9.5 ms).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # A transaction that writes takes the write lock at BEGIN, so two writers queue up
            # instead of one failing on a stale snapshot. Read-only pages begin DEFERRED.
            "transaction_mode": "IMMEDIATE",
        }
    )

# The role the application acts as on PostgreSQL. Migrations run as the owner; the app runs as
# this non-owner role so row-level security applies (tests switch to it after migrating).
BUREAU_DB_APP_ROLE = os.environ.get("BUREAU_DB_APP_ROLE", "")
if BUREAU_DB_APP_ROLE and os.environ.get("BUREAU_DB_ASSUME_APP_ROLE") == "1":
    DATABASES["default"].setdefault("OPTIONS", {})["assume_role"] = BUREAU_DB_APP_ROLE

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's, the signed-in user read in SQL written once (accounts.request_reads).
    "bureau.accounts.request_reads.ModelBackend",
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout: five failed passwords lock the account name for 30 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("BUREAU_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
# Not by IP: a billing office (often offshore) sits behind one NAT address, and one person's typos
# must not lock out the whole floor. Per-login lockout is what HIPAA reviewers look for.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "Bureau"
BUREAU_IDLE_MINUTES = int(os.environ.get("BUREAU_IDLE_MINUTES", "15"))
# Django's database sessions, read in SQL written once (accounts.request_reads).
SESSION_ENGINE = "bureau.accounts.request_reads"
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Production behind a TLS-terminating proxy (README "Running in production"):
#   BUREAU_HTTPS=1                  the site is served over HTTPS only; the proxy sets
#                                   X-Forwarded-Proto and strips any copy a client sent
#   BUREAU_HSTS_SECONDS             HSTS max-age (default one year; start low when first enabling)
#   BUREAU_HSTS_INCLUDE_SUBDOMAINS  "0" leaves subdomains of Bureau's host name out of HSTS
#   BUREAU_HSTS_PRELOAD             "0" leaves out the preload directive
# Each "0" is an operator's recorded choice, so its check --deploy warning is silenced with it
# and `check --deploy --fail-level WARNING` stays a usable gate.
BUREAU_HTTPS = os.environ.get("BUREAU_HTTPS", "") in {"1", "true", "yes"}
if BUREAU_HTTPS:
    # Trusted only because the proxy overwrites the header; gunicorn must not be reachable
    # except through the proxy (BUREAU_BIND on a loopback or private address).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("BUREAU_HSTS_SECONDS", str(365 * 24 * 60 * 60)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("BUREAU_HSTS_INCLUDE_SUBDOMAINS") != "0"
    SECURE_HSTS_PRELOAD = os.environ.get("BUREAU_HSTS_PRELOAD") != "0"
    if not SECURE_HSTS_INCLUDE_SUBDOMAINS:
        SILENCED_SYSTEM_CHECKS.append("security.W005")
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS.append("security.W021")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve straight from the installed packages and app folders: `make demo` needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Clearinghouse routes (bureau.clearinghouse). The folder route's root holds outbox/ inbox/
# archive/; the SFTP route logs in with a private key and checks the server's host key against
# known_hosts (strict: an unknown server is refused). BUREAU_SFTP maps a workspace slug to
# overrides of "default"; the remote outbox/inbox/archive live under remote_dir.
BUREAU_FOLDER_ROUTE_DIR = os.environ.get("BUREAU_FOLDER_ROUTE_DIR") or None
# Licensed CMS procedure-pair (NCCI PTP) and units (MUE) tables; the synthetic samples otherwise.
if os.environ.get("BUREAU_NCCI_CSV"):
    BUREAU_NCCI_CSV = os.environ["BUREAU_NCCI_CSV"]
if os.environ.get("BUREAU_MUE_CSV"):
    BUREAU_MUE_CSV = os.environ["BUREAU_MUE_CSV"]

BUREAU_SFTP: dict[str, dict[str, object]] = {
    "default": {
        "host": os.environ.get("BUREAU_SFTP_HOST", "127.0.0.1"),
        "port": int(os.environ.get("BUREAU_SFTP_PORT", "22")),
        "username": os.environ.get("BUREAU_SFTP_USER", "bureau"),
        "private_key": os.environ.get("BUREAU_SFTP_KEY", str(VAR_DIR / "sftp" / "id_ed25519")),
        "known_hosts": os.environ.get(
            "BUREAU_SFTP_KNOWN_HOSTS", str(VAR_DIR / "sftp" / "known_hosts")
        ),
        "remote_dir": os.environ.get("BUREAU_SFTP_REMOTE_DIR", "clearinghouse"),
        "timeout": float(os.environ.get("BUREAU_SFTP_TIMEOUT", "20")),
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
