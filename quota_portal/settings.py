"""Settings for the Rare Earth Quota Portal, read from the environment (django-environ).

Defaults give the embedded mode used by `make run`: SQLite, Celery eager, no services needed.
Tests and production set DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://...
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789abcdef")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_celery_results",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rules.apps.AutodiscoverRulesConfig",
    "organizations",
    "allocations",
    "reporting",
    "enforcement",
    "portal",
    "quota_portal",  # the project package itself: the seed_demo command that knows every app
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "quota_portal.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "quota_portal.db_router.ReplicaMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "organizations.twofactor.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "quota_portal.urls"
WSGI_APPLICATION = "quota_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "organizations.context_processors.membership",
                "organizations.inbox.context",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
# Read replica (quota_portal/db_router.py): read-only requests read from it, writers are pinned to the primary
# for READ_YOUR_WRITES_SECONDS after a write. Unset: everything on `default`.
if env("REPLICA_DATABASE_URL", default=""):
    DATABASES["replica"] = env.db("REPLICA_DATABASE_URL")
    DATABASES["replica"]["ATOMIC_REQUESTS"] = False
    DATABASES["replica"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["quota_portal.db_router.PrimaryReplicaRouter"]
READ_YOUR_WRITES_SECONDS = env.int("READ_YOUR_WRITES_SECONDS", default=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# TOTP two-factor for the ministry roles (make run turns it off for the demo: OTP_REQUIRED=0).
OTP_REQUIRED = env.bool("OTP_REQUIRED", default=True)
OTP_TOTP_ISSUER = "稀土总量调控门户"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-axes: lock a username (from the address it is tried at) after 5 failed logins.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "organizations.lockout.lockout_response"  # JSON error body on /api/, the page elsewhere
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# Quantities are grouped explicitly ({{ x|tonnes }}, intcomma): automatic grouping would also turn years and ids
# in hidden inputs and query strings into "2,026" and break the forms that post them back.
USE_THOUSAND_SEPARATOR = False
FORMAT_MODULE_PATH = ["portal.formats"]  # zh_Hans: 2025年3月10日 and 1,234.567 (see portal/formats/)

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # make run serves static files without collectstatic
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="quota-portal@example.gov.cn")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-mail"))  # for the file-based backend

# --- Security (production sets DJANGO_SECURE=1) -------------------------------------------------
SECURE = env.bool("DJANGO_SECURE", default=False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True  # 30 minutes idle, not 30 minutes from login
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if SECURE:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Audit seals: an HMAC of the audit chain heads under a key that is NOT in the database, written to the
# database and appended to a file outside it (see organizations/audit.py). Production sets its own key
# (check --deploy warns about the dev key) and a directory on another volume, made append-only (chattr +a).
DEV_AUDIT_SEAL_KEY = "dev-only-audit-seal-key-change-me-in-production"
AUDIT_SEAL_KEY = env("AUDIT_SEAL_KEY", default=DEV_AUDIT_SEAL_KEY)
AUDIT_SEAL_DIR = env.path("AUDIT_SEAL_DIR", default=BASE_DIR / "var" / "audit-seals")

# Content-Security-Policy (django-csp): scripts only from this origin (no inline script, no CDN).
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs/", "/api/redoc/"],  # Swagger UI / ReDoc bootstrap inline
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "quota_portal.schema.PortalAutoSchema",
    "EXCEPTION_HANDLER": "quota_portal.errors.api_exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "DEFAULT_THROTTLE_CLASSES": ["quota_portal.throttling.WriteRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env("THROTTLE_TOKEN", default="30/min"),
        "writes": env("THROTTLE_WRITES", default="600/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Rare Earth Quota Portal API",
    "DESCRIPTION": "稀土总量调控 — national plans, issuance batches, quotas, monthly reports, flags and cases.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "quota_portal.schema.constrain_query_parameters",
    ],
    "ENUM_NAME_OVERRIDES": {
        "PlanStatusEnum": "allocations.models.PlanStatus",
        "BatchStatusEnum": "allocations.models.BatchStatus",
        "ReportStatusEnum": "reporting.models.ReportStatus",
        "ShipmentStatusEnum": "reporting.models.ShipmentStatus",
        "ShipmentOriginEnum": "reporting.models.ShipmentOrigin",
        "FlagStatusEnum": "enforcement.models.FlagStatus",
        "CaseStatusEnum": "enforcement.models.CaseStatus",
        "CaseOriginEnum": "enforcement.models.CaseOrigin",
        "PenaltyStatusEnum": "enforcement.models.PenaltyStatus",
        "DeductionStatusEnum": "enforcement.models.DeductionStatus",
        "JobStatusEnum": "enforcement.models.JobStatus",
        "IndicatorTypeEnum": "organizations.models.IndicatorType",
        "ActivityEnum": "organizations.models.Activity",
        "DesignationKindEnum": "organizations.models.DesignationKind",
        "DecisionStatusEnum": "organizations.models.DecisionStatus",
        "PermitKindEnum": "organizations.models.PermitKind",
    },
}

# Throttle counters live in the cache: set CACHE_URL (e.g. redis://127.0.0.1:6379/1) when running several
# web processes so that they share it.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# --- Celery -------------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="django-db")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXTENDED = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Queues (quota_portal/celery.py): scans and reconciliation on `scans`, e-mail and reminders on `notifications`,
# the rest on `celery`; CELERY_QUEUE_PREFIX lets deployments or parallel test runs share one broker.
CELERY_QUEUE_PREFIX = env("CELERY_QUEUE_PREFIX", default="")
CELERY_TASK_ROUTES = ("quota_portal.celery.route_task",)
CELERY_TASK_DEFAULT_QUEUE = f"{CELERY_QUEUE_PREFIX}celery"
# A broker outage must not stall a web request: publish once, let the outbox sweep retry.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A message a worker took but never acknowledged (the worker died) is handed out again after this long.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "socket_connect_timeout": 2,
}

# --- Domain settings (not hidden constants: each can be set per deployment) ------------------------
REPORT_DUE_DAY = env.int("REPORT_DUE_DAY", default=10)
SMELTER_MIN_CAPACITY_T = Decimal(env("SMELTER_MIN_CAPACITY_T", default="2000"))
GROUP_BREAKDOWN_WORKING_DAYS = env.int("GROUP_BREAKDOWN_WORKING_DAYS", default=10)
USAGE_WARNING_RATIO = Decimal(env("USAGE_WARNING_RATIO", default="0.90"))
FLOW_MATCH_TOLERANCE = Decimal(env("FLOW_MATCH_TOLERANCE", default="0.005"))
SHIPMENT_TRANSIT_DAYS = env.int("SHIPMENT_TRANSIT_DAYS", default=15)
# Relative slack on the feedstock-yield check: separated output of an element may exceed what the consumed
# feedstock can yield by this fraction before a yield_implausible flag is raised.
YIELD_TOLERANCE = Decimal(env("YIELD_TOLERANCE", default="0.25"))
BALANCE_TOLERANCE_T = Decimal(env("BALANCE_TOLERANCE_T", default="0.001"))
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
STATEMENT_PERIOD_DAYS = env.int("STATEMENT_PERIOD_DAYS", default=5)
REMINDER_FROM_DAY = env.int("REMINDER_FROM_DAY", default=5)
INVITATION_TTL_HOURS = env.int("INVITATION_TTL_HOURS", default=72)
# approving a batch line that takes an enterprise's year total above this multiple of its capacity needs a reason
CAPACITY_REFUSAL_MULTIPLE = Decimal(env("CAPACITY_REFUSAL_MULTIPLE", default="1.0"))
REGISTER_IMPORT_MAX_ROWS = env.int("REGISTER_IMPORT_MAX_ROWS", default=9999)
# Annual report (年度报告): due at the end of this month-day of the following year, Beijing time.
ANNUAL_REPORT_DUE = env("ANNUAL_REPORT_DUE", default="01-31")
# A submitted monthly report should be reviewed within this many working days (official calendar).
REVIEW_WORKING_DAYS = env.int("REVIEW_WORKING_DAYS", default=5)
# Hearing right (听证): fines at or above the threshold in force on the notice date offer a hearing.
# "valid-from:CNY" pairs, comma-separated; the latest one not after the date applies.
HEARING_FINE_THRESHOLDS = env("HEARING_FINE_THRESHOLDS", default="2021-07-15:100000")
HEARING_REQUEST_WORKING_DAYS = env.int("HEARING_REQUEST_WORKING_DAYS", default=5)
# A fine is paid within this many days of the decision taking effect (Administrative Penalty Law art. 67).
FINE_PAYMENT_DAYS = env.int("FINE_PAYMENT_DAYS", default=15)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}

DATE_INPUT_FORMATS = ["%Y-%m-%d"]
