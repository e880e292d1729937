"""Portal settings, read from the environment (see README, "Configuration")."""

import os
from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from portal.env import BASE_DIR, PRODUCTION, VAR_DIR, dns_labels, encryption_keys, env, rate, secret_key
from rbac.role_table import role_table_markdown

SECRET_KEY = secret_key()
PORTAL_ENCRYPTION_KEYS = encryption_keys()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "portal",
    "hosts",
    "jobs",
    "clusters",
    "rbac",
    "workloads",
    "config",  # the composition root (rundev); last, so every app it names is loaded
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.static.StaticFilesMiddleware",  # WhiteNoise
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.audit.AuditMiddleware",
    # After the audit, which records its refusals: a read-only API token changes nothing.
    "rbac.authentication.ReadOnlyTokenMiddleware",
    # Last: turns a locked-out login into the lockout answer (portal.throttling).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so a Celery worker started by a test sees the test database.
    # One file per test run, so test runs side by side do not share one.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-portal-{os.getpid()}.sqlite3")}
    # Web, worker threads and health checks write concurrently: take the write
    # lock when a transaction starts (no deadlock on upgrade) and wait for it.
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out (username, address) pair before any password check.
    "portal.throttling.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Password guessing on /accounts/login/ and /admin/login/: after LOGIN_FAILURE_LIMIT
# failed logins for one username from one address, that pair is refused for
# LOGIN_LOCKOUT_MINUTES (every further try restarts the wait); a successful login
# clears the count. Counted in the database (django-axes), so all processes agree.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.throttling.login_locked_out"
# Reverse proxies in front of the portal whose X-Forwarded-For is trusted (0: none,
# the client address is REMOTE_ADDR). Lockouts and throttles share the rule.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "portal.throttling.client_address"
# The audit trail records every login attempt already; no second, unbounded log.
AXES_DISABLE_ACCESS_LOG = True
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Third-party assets come from the npm registry at setup time (package.json),
# never from a CDN, so the portal works in an air-gapped network.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
# Development serves assets straight from their folders; production from collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG and not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Request size limits: a kubeconfig or SSH key is a few KiB, nothing needs MiBs.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
DEFAULT_EXCEPTION_REPORTER_FILTER = "portal.errors.SecretHidingReporterFilter"
if PRODUCTION:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a one-way commitment for the whole domain: an opt-in, not a default.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Shared by every process: Redis when a URL is given (API throttle counters
# must be, with several web workers); this process's memory otherwise.
CACHE_URL = env.str("CACHE_URL", default=env.str("REDIS_URL", default=""))
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rbac.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "portal.pagination.PortalPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "portal.openapi.PortalAutoSchema",
    "EXCEPTION_HANDLER": "portal.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Requests per user, per anonymous address, and per user for scoped actions
    # (`kubeconfig`: minting a team kubeconfig, API and download page together).
    "DEFAULT_THROTTLE_CLASSES": [
        "portal.throttling.AnonThrottle",
        "portal.throttling.UserThrottle",
        "portal.throttling.ScopedThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": rate("API_THROTTLE_ANON", "60/minute"),
        "user": rate("API_THROTTLE_USER", "600/minute"),
        "kubeconfig": rate("KUBECONFIG_THROTTLE", "20/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kubernetes Portal API",
    # The role table is built from the rules the code enforces (rbac/role_table.py).
    "DESCRIPTION": "Clusters, nodes, hosts, teams, quotas, namespaces, jobs and audit.\n\n"
    "Authenticate with a personal API token as `Authorization: Bearer <token>`: create one on the Tokens "
    "page, or exchange a username and password for one with `POST /api/v1/auth/token/`.\n\n"
    "## What each team role may do\n\n" + role_table_markdown(),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Errors documented on every operation (portal/openapi.py); enums named once.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "portal.openapi.document_errors"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Phases appear in several components; name their enums once, stably.
    "ENUM_NAME_OVERRIDES": {
        "ClusterPhaseEnum": "clusters.choices.ClusterPhase",
        "TeamNamespacePhaseEnum": "rbac.choices.NamespacePhase",
        "TeamRoleEnum": "portal.roles.TeamRole",
    },
    # Swagger UI assets come from PyPI (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "/favicon.ico",
    # Swagger UI would show a badge fetched from validator.swagger.io for any
    # schema not served from localhost: no request leaves the portal's origin.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # ReDoc's bundle, without its logo from Redocly's CDN, comes from config/assets.py.
    "REDOC_DIST": "SIDECAR",
}

# Celery: Redis when a URL is given; otherwise a broker that needs no server
# (kombu's filesystem transport under var/), so a fresh machine runs the portal.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=env.str("REDIS_URL", default=""))
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=3600)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "jobs-reap-orphans": {
        "task": "jobs.tasks.jobs_reap_orphans",
        "schedule": timedelta(seconds=60),
    },
    "jobs-purge-events": {
        "task": "jobs.tasks.job_events_purge",
        "schedule": timedelta(hours=1),
    },
}

# Cluster health checks: how often, how many clusters at once, and how long one may take.
CLUSTER_HEALTH_INTERVAL_SECONDS = env.int("CLUSTER_HEALTH_INTERVAL_SECONDS", default=60)
CLUSTER_HEALTH_CONCURRENCY = env.int("CLUSTER_HEALTH_CONCURRENCY", default=8)
CLUSTER_HEALTH_TIMEOUT_SECONDS = env.float("CLUSTER_HEALTH_TIMEOUT_SECONDS", default=10.0)
# Where health looks for add-ons (DNS, kube-proxy, CNI, metrics-server, ingress):
# kube-system always, and those of these namespaces that exist and are no team's.
CLUSTER_ADDON_NAMESPACES = dns_labels(
    "CLUSTER_ADDON_NAMESPACES",
    [
        "kube-system",
        "kube-flannel",
        "calico-system",
        "tigera-operator",
        "ingress-nginx",
        "nginx-ingress",
        "traefik",
        "projectcontour",
        "haproxy-controller",
        "kong",
    ],
)
CELERY_BEAT_SCHEDULE["clusters-health-sweep"] = {
    "task": "clusters.tasks.clusters_health_sweep",
    "schedule": timedelta(seconds=CLUSTER_HEALTH_INTERVAL_SECONDS),
}

# Team namespaces are reconciled periodically, and right after every change.
NAMESPACE_RECONCILE_INTERVAL_SECONDS = env.int("NAMESPACE_RECONCILE_INTERVAL_SECONDS", default=300)
CELERY_BEAT_SCHEDULE["namespaces-reconcile"] = {
    "task": "rbac.tasks.namespaces_reconcile_all",
    "schedule": timedelta(seconds=NAMESPACE_RECONCILE_INTERVAL_SECONDS),
}
# Lifetime of the tokens in a downloaded team kubeconfig.
TEAM_KUBECONFIG_TOKEN_SECONDS = env.int("TEAM_KUBECONFIG_TOKEN_SECONDS", default=8 * 3600)
# The namespace, in every cluster, where the portal keeps the identities behind
# team kubeconfigs; no team role has any right in it.
PORTAL_IDENTITY_NAMESPACE = env.str("PORTAL_IDENTITY_NAMESPACE", default="kube-portal")
# Namespace name prefixes no team may request, besides `kube-`, `default` and
# the portal's own namespaces (e.g. "openshift-,cattle-,istio-").
RESERVED_NAMESPACE_PREFIXES = env.list("RESERVED_NAMESPACE_PREFIXES", default=[])

# Job output is kept this many days, then purged (the events table must not grow forever).
JOB_EVENT_RETENTION_DAYS = env.int("JOB_EVENT_RETENTION_DAYS", default=30)
# A running job whose worker has not written a heartbeat for this long is failed.
JOB_HEARTBEAT_SECONDS = env.int("JOB_HEARTBEAT_SECONDS", default=15)
JOB_ORPHAN_AFTER_SECONDS = env.int("JOB_ORPHAN_AFTER_SECONDS", default=120)
# Hosts one stage of a job works on at once.
JOB_HOST_CONCURRENCY = env.int("JOB_HOST_CONCURRENCY", default=10)

API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=90)

# Audit events are kept this many days, then purged daily in batches (0 keeps them all).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)
CELERY_BEAT_SCHEDULE["audit-events-purge"] = {
    "task": "portal.tasks.audit_events_purge",
    "schedule": timedelta(days=1),
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # A 4xx answer (refused, not found, invalid, throttled) is the portal working as
    # meant: INFO, one line, no traceback. A 5xx stays an ERROR with its traceback.
    "filters": {"expected_refusals": {"()": "portal.log_filters.ExpectedRefusalFilter"}},
    # The handler's level applies LOG_LEVEL to records the filter lowered to INFO.
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "level": LOG_LEVEL}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # django-axes announces its configuration at every start; its lockouts still log.
        "axes.apps": {"level": "WARNING"},
        # Every answer Django logs (django.request) and `make run`'s access log (django.server).
        "django.request": {"filters": ["expected_refusals"]},
        "django.server": {"filters": ["expected_refusals"]},
    },
}
