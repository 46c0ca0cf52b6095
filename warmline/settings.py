"""Django settings for Warmline. Every value comes from the environment with a safe default.

See README.md ("Configuration") for the table of variables.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dj_database_url

from warmline.core.env import env_bool, env_int, env_list, env_str
from warmline.core.secret_key import DEV_SECRET_KEY

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("WARMLINE_DATA_DIR", str(BASE_DIR.parent / "data"))).resolve()

DEBUG = env_bool("DEBUG", False)
# Without SECRET_KEY the public development key lets DEBUG, tests and one-off commands run;
# `serve`, `worker` and the ASGI/WSGI entry points refuse it with DEBUG off, `check --deploy`
# fails on it, and `warmline demo` keeps a random key in DATA_DIR instead (core/secret_key.py).
SECRET_KEY = env_str("SECRET_KEY", "").strip() or DEV_SECRET_KEY
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves /api/docs' Swagger UI from its own static files, not a CDN
    "django_tasks",
    "django_tasks_db",
    "axes",  # login throttling
    "warmline.core",
    "warmline.users",
    "warmline.people",
    "warmline.timeline",
    "warmline.today",
    "warmline.alerts",
    "warmline.calls",
    "warmline.portal",
    "warmline.api",
    "warmline.service",
    "warmline_tools",  # `warmline demo` and `warmline bench` (no product module imports it)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "warmline.core.middleware.nul_query_middleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "warmline.core.middleware.user_timezone_middleware",
    # Last, as django-axes asks: turns a refused sign-in into the "try again at" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "warmline.urls"
ASGI_APPLICATION = "warmline.asgi.application"
WSGI_APPLICATION = "warmline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite in WAL mode under the data directory by default; DATABASE_URL switches engines.
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Parameters sent apart from the SQL, and a statement run 5 times on a connection
        # kept prepared, so PostgreSQL parses and plans it once: a call-mode request is
        # 16-20% faster (interleaved A/B). Behind a transaction-pooling PgBouncer older
        # than 1.21, set DB_PREPARE_THRESHOLD=0 (0 turns preparing off).
        # The backend is Django's, with the protocol's 65,535-parameter limit declared so
        # that bulk writes and in_bulk() are split into batches (server-side binding sends
        # every value as a parameter; deleting many contacts goes by contacts_delete).
        prepare = env_int("DB_PREPARE_THRESHOLD", 5)
        DATABASES["default"]["ENGINE"] = "warmline.core.backends.postgresql"
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options.update(
            {
                "server_side_binding": env_bool("DB_SERVER_SIDE_BINDING", True),
                "prepare_threshold": prepare if prepare > 0 else None,
            }
        )
        # A connection pool per process. Under ASGI (uvicorn) every request runs in a
        # context of its own, so a "persistent" connection (CONN_MAX_AGE) was never reused:
        # each request connected anew and no statement was ever prepared. Pooled
        # connections outlive the request and keep their prepared statements.
        if env_bool("DB_POOL", True):
            DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them instead
            options["pool"] = {
                "min_size": env_int("DB_POOL_MIN_SIZE", 2),
                "max_size": env_int("DB_POOL_MAX_SIZE", 10),
                "timeout": env_int("DB_POOL_TIMEOUT", 10),
            }
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(DATA_DIR / "warmline.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA cache_size=-64000;"
                    "PRAGMA mmap_size=268435456;"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out sign-in before any password is checked (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT failed sign-ins for one username
# (from any address) or from one address (whatever the usernames), sign-in there is refused,
# a right password included, until LOGIN_LOCKOUT_MINUTES have passed without another
# failure. A successful sign-in clears its count. Failures are kept in the database, so
# every web process sees them; admins can clear them under "Axes" in the admin.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "warmline.users.views.login_client_ip"
AXES_LOCKOUT_CALLABLE = "warmline.users.views.login_locked_out"
AXES_DISABLE_ACCESS_LOG = True  # count failures; do not log every successful sign-in
AXES_VERBOSE = False  # no start-up banner on every command
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "today"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60 * 3)

# --- Mail -----------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "warmline.core.mail.SavedEmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Warmline <warmline@localhost>")

# --- Background work (Django Tasks API) -----------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Real-time fan-out ----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")

# --- Alerts ---------------------------------------------------------------------------
# The one way anything alerts a person (warmline/alerts): in-app over SSE, e-mail, SMS.
# Escalation ladder of a new alert, in seconds after it is raised; -1 turns a step off.
ALERT_INAPP_AFTER_SECONDS = env_int("ALERT_INAPP_AFTER_SECONDS", 0)
ALERT_EMAIL_AFTER_SECONDS = env_int("ALERT_EMAIL_AFTER_SECONDS", 5 * 60)
ALERT_SMS_AFTER_SECONDS = env_int("ALERT_SMS_AFTER_SECONDS", 15 * 60)
ALERT_MANAGER_AFTER_SECONDS = env_int("ALERT_MANAGER_AFTER_SECONDS", 30 * 60)
ALERT_MANAGER_CHANNEL = env_str("ALERT_MANAGER_CHANNEL", "email")  # email | sms | inapp
ALERT_LADDER = [
    {"after_seconds": after, "channel": channel, "to": to}
    for after, channel, to in (
        (ALERT_INAPP_AFTER_SECONDS, "inapp", "recipient"),
        (ALERT_EMAIL_AFTER_SECONDS, "email", "recipient"),
        (ALERT_SMS_AFTER_SECONDS, "sms", "recipient"),
        (ALERT_MANAGER_AFTER_SECONDS, ALERT_MANAGER_CHANNEL, "manager"),
    )
    if after >= 0
]
# Delivery: retries with exponential backoff (base * 2^(attempt-1), capped at an hour).
ALERT_MAX_ATTEMPTS = env_int("ALERT_MAX_ATTEMPTS", 6)
ALERT_RETRY_BASE_SECONDS = env_int("ALERT_RETRY_BASE_SECONDS", 30)
ALERT_CLAIM_TIMEOUT_SECONDS = env_int("ALERT_CLAIM_TIMEOUT_SECONDS", 120)
ALERT_SEND_TIMEOUT_SECONDS = env_int("ALERT_SEND_TIMEOUT_SECONDS", 30)
ALERT_DISPATCH_EVERY_SECONDS = float(env_str("ALERT_DISPATCH_EVERY_SECONDS", "5"))
# Real time: replayable events are kept this long; other processes' events (when no Redis
# carries them) are picked up from the database every ALERT_LIVE_POLL_SECONDS (0 = never).
ALERT_LIVE_EVENT_KEEP_DAYS = env_int("ALERT_LIVE_EVENT_KEEP_DAYS", 3)
ALERT_LIVE_POLL_SECONDS = float(env_str("ALERT_LIVE_POLL_SECONDS", "2"))
ALERT_LIVE_HEARTBEAT_SECONDS = float(env_str("ALERT_LIVE_HEARTBEAT_SECONDS", "15"))
ALERT_LIVE_MAX_STREAM_SECONDS = env_int("ALERT_LIVE_MAX_STREAM_SECONDS", 600)
ALERT_REDIS_PREFIX = env_str("ALERT_REDIS_PREFIX", "warmline")
# SMS: "console" logs (and appends to SMS_CONSOLE_PATH if set); "twilio" speaks Twilio's
# Messages API at SMS_API_URL (any compatible provider).
SMS_PROVIDER = env_str("SMS_PROVIDER", "console")
SMS_API_URL = env_str("SMS_API_URL", "https://api.twilio.com").rstrip("/")
SMS_ACCOUNT_SID = env_str("SMS_ACCOUNT_SID", "")
SMS_AUTH_TOKEN = env_str("SMS_AUTH_TOKEN", "")
SMS_FROM = env_str("SMS_FROM", "")
SMS_CONSOLE_PATH = env_str("SMS_CONSOLE_PATH", "")

# --- Portal ---------------------------------------------------------------------------
# The public site (/site/): magic-link identification, "Ask my rep", rate limits.
PORTAL_MAGIC_LINK_TTL_MINUTES = env_int("PORTAL_MAGIC_LINK_TTL_MINUTES", 30)
PORTAL_IDENTIFY_DAYS = env_int("PORTAL_IDENTIFY_DAYS", 90)
PORTAL_ANSWER_BUSINESS_HOURS = env_int("PORTAL_ANSWER_BUSINESS_HOURS", 2)
PORTAL_BUSINESS_HOURS = env_str("PORTAL_BUSINESS_HOURS", "09:00-17:00")
PORTAL_MESSAGE_MAX_CHARS = env_int("PORTAL_MESSAGE_MAX_CHARS", 2000)
# Fixed-window limits, "<count>/<period>" with period s, m, h or d.
PORTAL_RATE_IDENTIFY_IP = env_str("PORTAL_RATE_IDENTIFY_IP", "10/h")
PORTAL_RATE_IDENTIFY_EMAIL = env_str("PORTAL_RATE_IDENTIFY_EMAIL", "3/h")
PORTAL_RATE_ASK_IP = env_str("PORTAL_RATE_ASK_IP", "10/h")
PORTAL_RATE_ASK_CONTACT = env_str("PORTAL_RATE_ASK_CONTACT", "5/h")

# --- Cache ----------------------------------------------------------------------------
# Rate limits live in the cache: Redis when REDIS_URL is set (limits hold across every web
# process), else per-process memory (right for the single-process demo only).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "warmline",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# With a shared cache every request reads its session from Redis instead of the database
# (written through to both). Per-process memory could keep a logged-out session alive in
# another process, so without Redis sessions stay in the database only.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)

# --- i18n / time ----------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
# Warmline speaks English only. Django's advice for that case: turn translation off, which
# spares every {{ value }} and date a lookup of the active language (measured 8-14% of a
# call-mode request). Formats still come from LANGUAGE_CODE.
USE_I18N = False
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves straight from the apps' static folders (WHITENOISE_USE_FINDERS), so no
# collectstatic step is needed; set STATIC_ROOT only to collect files for a separate server.
STATIC_ROOT = env_str("STATIC_ROOT", "") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

# --- Security headers -----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and SITE_URL.startswith("https"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe the app over plain HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
# Behind a TLS proxy: trust its X-Forwarded-Proto, and take the client's address (rate
# limits, login throttling) from the last X-Forwarded-For hop, which the proxy writes.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None

# --- Product settings -----------------------------------------------------------------
WARMLINE_COMPANY_NAME = env_str("WARMLINE_COMPANY_NAME", "Northwind Industrial")
WARMLINE_PAGE_SIZE = env_int("WARMLINE_PAGE_SIZE", 25)
WARMLINE_DEFAULT_REGION = env_str("WARMLINE_DEFAULT_REGION", "US")

# --- Calls (C5): reconnect cadence, calling hours and call-queue ranking ----------------
# Reconnect cadence: days between personal touches (Contact.reconnect_days overrides it).
WARMLINE_RECONNECT_DAYS = env_int("WARMLINE_RECONNECT_DAYS", 180)
WARMLINE_RECONNECT_KEY_DAYS = env_int("WARMLINE_RECONNECT_KEY_DAYS", 90)  # Account.tier "key"
# Contacts are called only between these hours of *their* local time (end is exclusive).
WARMLINE_CALL_HOURS_START = env_int("WARMLINE_CALL_HOURS_START", 9)
WARMLINE_CALL_HOURS_END = env_int("WARMLINE_CALL_HOURS_END", 18)
# After an attempt (no answer, voicemail...) a contact leaves the queue for this long, unless
# a newer reason (a callback, a question) comes up.
WARMLINE_CALL_RETRY_HOURS = env_int("WARMLINE_CALL_RETRY_HOURS", 20)
WARMLINE_CALL_UNDO_SECONDS = env_int("WARMLINE_CALL_UNDO_SECONDS", 10)
# Call mode reads each rep's ranked queue from a snapshot (warmline/calls/queue.py) rebuilt
# on every change to a reason and at the latest after this many seconds.
WARMLINE_CALL_QUEUE_MAX_AGE_SECONDS = env_int("WARMLINE_CALL_QUEUE_MAX_AGE_SECONDS", 90)
# Ranking: a reason scores weight x urgency (urgency 0..2, set by its provider); a contact
# scores its best reason plus a tenth of the others. See warmline/calls/ranking.py.
WARMLINE_CALL_WEIGHTS = {
    "question": env_int("WARMLINE_CALL_WEIGHT_QUESTION", 100),
    "case": env_int("WARMLINE_CALL_WEIGHT_CASE", 90),
    "callback": env_int("WARMLINE_CALL_WEIGHT_CALLBACK", 80),
    "lead": env_int("WARMLINE_CALL_WEIGHT_LEAD", 60),
    "date": env_int("WARMLINE_CALL_WEIGHT_DATE", 50),
    "reconnect": env_int("WARMLINE_CALL_WEIGHT_RECONNECT", 30),
}

# --- Service / SLA ----------------------------------------------------------------------
# How often the scheduler looks for cases crossing an SLA step (seconds); bounds the delay
# from a step's due time to its alert.
SERVICE_SLA_PASS_SECONDS = env_int("SERVICE_SLA_PASS_SECONDS", 2)
# Cases claimed per query inside one pass.
SERVICE_SLA_BATCH_SIZE = env_int("SERVICE_SLA_BATCH_SIZE", 200)
# The call queue lists a rep's open case once its SLA breach is this close (or past).
SERVICE_CALL_NEAR_BREACH_MINUTES = env_int("SERVICE_CALL_NEAR_BREACH_MINUTES", 120)
# `external_system` assumed for webhook payloads that do not name their service desk.
SERVICE_WEBHOOK_SYSTEM = env_str("SERVICE_WEBHOOK_SYSTEM", "servicedesk")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"refusals": {"()": "warmline.core.logging.RefusalsWithoutTraceback"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["refusals"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # failures and lockouts, not every sign-in
    },
}
