"""Django settings, all read from the environment (docs/settings.md lists them)."""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from partnerdesk.lib.env import EnvError, env_bool, env_int, env_list, env_secret, env_str

PACKAGE_DIR = Path(__file__).resolve().parent


def _home() -> Path:
    home = Path(env_str("PARTNERDESK_HOME", "var") or "var").expanduser().resolve()
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(f"PARTNERDESK_HOME: cannot create {home}: {exc.strerror}") from None
    return home


def _secret_key(home: Path) -> str:
    """The configured key, else one generated into the data folder on first start."""
    configured = env_secret("PARTNERDESK_SECRET_KEY")
    if configured:
        return configured
    key_file = home / "secret_key"
    try:
        return key_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(50)
    # O_EXCL: two processes starting at once must agree on one key.
    try:
        with open(key_file, "x", encoding="utf-8") as handle:
            handle.write(key)
        key_file.chmod(0o600)
        return key
    except FileExistsError:
        return key_file.read_text(encoding="utf-8").strip()


def _database(home: Path) -> dj_database_url.DBConfig:
    url = env_secret("DATABASE_URL") or f"sqlite:///{home / 'partnerdesk.sqlite3'}"
    try:
        config = dj_database_url.parse(url, conn_max_age=0)
    except (ValueError, dj_database_url.UnknownSchemeError) as exc:
        raise ImproperlyConfigured(f"DATABASE_URL: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web server read while the worker writes.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    return config


def _trusted_proxy(behind_proxy: bool) -> str | None:
    """The one address `partnerdesk serve` takes X-Forwarded-Proto/-For from, or "*" for any peer."""
    value = env_str("PARTNERDESK_TRUSTED_PROXY")
    if not behind_proxy:
        if value is not None:
            raise EnvError("PARTNERDESK_TRUSTED_PROXY is set but PARTNERDESK_BEHIND_PROXY is not true")
        return None
    if value is None or value == "*":
        return value or "127.0.0.1"
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise EnvError(
            f"PARTNERDESK_TRUSTED_PROXY={value!r} is not an IP address (the proxy's, e.g. 127.0.0.1) or *"
        ) from None


try:
    PARTNERDESK_HOME = _home()
    SECRET_KEY = _secret_key(PARTNERDESK_HOME)
    DEBUG = env_bool("PARTNERDESK_DEBUG", False)
    ALLOWED_HOSTS = env_list("PARTNERDESK_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
    CSRF_TRUSTED_ORIGINS = env_list("PARTNERDESK_CSRF_TRUSTED_ORIGINS", [])
    PARTNERDESK_BASE_URL = (env_str("PARTNERDESK_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")
    EMAIL_URL = env_secret("EMAIL_URL")
    DATABASES = {"default": _database(PARTNERDESK_HOME)}
except EnvError as exc:
    raise ImproperlyConfigured(str(exc)) from None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "partnerdesk.pipeline",
    "partnerdesk.mail",
    "partnerdesk.documents",
    "partnerdesk.playbooks",
    "partnerdesk.inbound",
    "partnerdesk.agreements",
    "partnerdesk.partnership",
    "partnerdesk.technical",
    "partnerdesk.integrations.docusign",
    "partnerdesk.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "partnerdesk.web.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A message said by a POST that goes back to page#place shows at place (web/htmx.py).
    "partnerdesk.web.htmx.AnswersInPlaceMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's, allowing the profile's logo from its host (web/branding.py).
    "partnerdesk.web.branding.BrandCSPMiddleware",
]

# The pages use no inline script or style, so the policy can be strict.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

ROOT_URLCONF = "partnerdesk.urls"
WSGI_APPLICATION = "partnerdesk.wsgi.application"

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
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("PARTNERDESK_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = PARTNERDESK_HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Serve app static files straight from the packages, so `make run` needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

try:
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SECURE = env_bool("PARTNERDESK_SECURE_COOKIES", False)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Production behind TLS: docs/production.md.
    SECURE_HSTS_SECONDS = env_int("PARTNERDESK_HSTS_SECONDS", 0)
    # Only when every subdomain is served over HTTPS too.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("PARTNERDESK_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("PARTNERDESK_HSTS_PRELOAD", False)
    SECURE_SSL_REDIRECT = env_bool("PARTNERDESK_SSL_REDIRECT", False)
    # Behind a TLS proxy (docs/production.md): `partnerdesk serve` takes X-Forwarded-Proto and
    # X-Forwarded-For from the trusted proxy's address only and drops them from anyone else.
    PARTNERDESK_BEHIND_PROXY = env_bool("PARTNERDESK_BEHIND_PROXY", False)
    PARTNERDESK_TRUSTED_PROXY = _trusted_proxy(PARTNERDESK_BEHIND_PROXY)
    if PARTNERDESK_BEHIND_PROXY:
        # For another WSGI server in front of partnerdesk.wsgi: it must drop the header from clients.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
except EnvError as exc:
    raise ImproperlyConfigured(str(exc)) from None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("PARTNERDESK_LOG_LEVEL", "WARNING")},
    "loggers": {"partnerdesk": {"level": env_str("PARTNERDESK_LOG_LEVEL", "INFO")}},
}
