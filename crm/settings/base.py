"""Settings shared by every environment. Everything that differs between machines comes from
the environment (12-factor), read with django-environ; secure defaults live here and
production.py only tightens them."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env is optional; real deployments set variables in the process environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "crm.axes_app.LoginProtectionConfig",  # django-axes, with a translated name
    "csp",
    "simple_history",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crm",
    "customers",
    "segmentation",
    "strategies",
    "dashboards",
    "api",
    # Above every domain app: the demo-data generator (seed_demo, demo_logins).
    "demo",
    # Above every domain app: pages that compose several of them (the home page).
    "pages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Renews the session (the idle timeout) at most once a minute instead of on every request.
    "crm.middleware.SessionRenewMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Records request.user as the author of audited changes (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes must be last: it inspects the response of the authentication views.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

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
                "django.template.context_processors.i18n",
                "crm.context_processors.crm",
            ],
        },
    },
]

# SQLite is the embedded default so `make run` needs no service; DATABASE_URL switches to
# PostgreSQL (postgres://user@host:5432/name).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a command (seed, segmentation run) writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 30)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "crm.User"

AUTHENTICATION_BACKENDS = [
    # Axes first so a locked-out user is refused before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# One session rule (docs/security.md): an idle timeout. A session ends after two hours without
# a request; requests renew it (crm.middleware: at most once per SESSION_RENEW_INTERVAL, not a
# database write per request), so a rep working all day stays logged in. The cookie is
# persistent on purpose: "expire at browser close" depends on the browser (many restore
# sessions on restart), an idle timeout is enforced by the server.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=2 * 60 * 60)
# In the database, never only in Redis: a Redis outage must not log everybody out.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEW_INTERVAL = env.int("SESSION_RENEW_INTERVAL", default=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Brute-force protection: lock a username+IP pair after 5 failures for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Audit trail (docs/security.md): history is read-only in admin, never a way to revert.
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Internationalisation: Simplified Chinese first, English second; the user switches with
# the language menu (set_language view).
LANGUAGE_CODE = env("LANGUAGE_CODE", default="zh-hans")
# Each language is named in its own script so a user can always find theirs.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
# Our zh-Hans number format (thousands separators) and ISO-first date inputs.
FORMAT_MODULE_PATH = ["crm.formats"]
USE_TZ = True

# Money is stored as Decimal; one currency per installation.
CRM_CURRENCY = env("CRM_CURRENCY", default="CNY")

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
MEDIA_URL = "media/"

# Strict Content-Security-Policy: nothing inline, nothing from another host.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Cache and broker: Redis when REDIS_URL is set, in-process otherwise.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Degrades to "no cache" while Redis is down (crm/cache.py); short timeouts so a
            # page never waits long for it.
            "BACKEND": "crm.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://localhost/")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL or "cache+memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Longer than the longest task (a large import, the strategies pass after a 1M-customer run),
# so Redis does not redeliver a task that is still running. A task whose worker was killed is
# redelivered after this many seconds; a segmentation run whose partitions stopped reporting
# can be superseded by the next run sooner (SEGMENTATION_STALE_AFTER_SECONDS).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=6 * 60 * 60)
}
# Jobs a person starts from a page (run now, big imports) are published by crm.queue.enqueue,
# which gives up after about a second when the broker is down and says so; this is the
# limit for every other connection attempt (workers, beat, post-run hooks retry on their own).
CELERY_BROKER_CONNECTION_TIMEOUT = 4
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_BEAT_SCHEDULE: dict = {}

# Segmentation: classify every customer nightly at SEGMENTATION_NIGHTLY_AT (HH:MM, TIME_ZONE).
from celery.schedules import crontab  # noqa: E402 - only the beat entries need it

SEGMENTATION_NIGHTLY_AT = env("SEGMENTATION_NIGHTLY_AT", default="02:30")
# Partitions at once in an in-process run (threads; PostgreSQL), and how long a run on the
# workers may go without a sign of life before the next run may take over.
SEGMENTATION_WORKERS = env.int("SEGMENTATION_WORKERS", default=2)
SEGMENTATION_STALE_AFTER_SECONDS = env.int("SEGMENTATION_STALE_AFTER_SECONDS", default=900)
_seg_hour, _seg_minute = (int(x) for x in SEGMENTATION_NIGHTLY_AT.split(":"))
CELERY_BEAT_SCHEDULE["segmentation-nightly"] = {
    "task": "segmentation.tasks.segmentation_run_task",
    "schedule": crontab(hour=_seg_hour, minute=_seg_minute),
    "kwargs": {"triggered_by": "nightly"},
}

# REST API (api/, docs/api.md): Bearer tokens or the site's session; JSON only; every response
# through the api's error handler (4xx bodies name the item and field).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Bearer first: an anonymous request gets 401 with WWW-Authenticate: Bearer.
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsActiveUser"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # NaN / Infinity are not JSON; 1e309 parses to inf and the decimal fields refuse it.
    "STRICT_JSON": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "客户分类管理 CRM API",
    "DESCRIPTION": "Customers, classes (客户分类), transactions, contact logs, tasks, "
    "playbooks and runs. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI from drf-spectacular-sidecar (static files, no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.strict_requests",
    ],
}
# Requests per token (or per session user) and minute; 429 with Retry-After beyond it.
API_RATE = env("API_RATE", default="600/min")
# Most rows one transactions batch may carry (all-or-nothing).
API_BATCH_LIMIT = 10_000
# Outbound events: a delivery is tried this many times, waiting 30 s, 60 s, 120 s … (at most
# an hour) between tries, then it lands in the dead-letter list (admin) for a replay.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=6)
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)
# Task created/overdue and pool claims are collected every few minutes (api.tasks).
CELERY_BEAT_SCHEDULE["api-events-sweep"] = {
    "task": "api.tasks.events_sweep_task",
    "schedule": 300.0,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}
