"""Settings come from the environment and fail loudly in production."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def _settings(tmp_path, show="", **env):
    """Import the settings in a fresh interpreter; returns (exit code, output),
    the output ending with the value of the expression `show`, if given."""
    configured = (
        "SECRET_KEY",
        "PORTAL_ENCRYPTION_KEYS",
        "PORTAL_ENV",
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
    )
    clean = {k: v for k, v in os.environ.items() if k not in configured}
    clean.update(PORTAL_VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="config.settings", **env)
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, len(settings.SECRET_KEY), len(settings.PORTAL_ENCRYPTION_KEYS), "
        "settings.CELERY_BROKER_URL.split(':')[0], settings.DATABASES['default']['ENGINE']"
        + (f", {show})" if show else ")")
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def test_it_runs_with_embedded_defaults_and_keeps_generated_secrets(tmp_path):
    code, out = _settings(tmp_path)
    assert code == 0, out
    debug, key_length, keys, broker, engine = out.split()
    assert (debug, keys, broker, engine) == ("False", "1", "filesystem", "django.db.backends.sqlite3")
    first = (tmp_path / "var" / "secret_key").read_text()
    assert int(key_length) >= 50
    assert oct((tmp_path / "var" / "secret_key").stat().st_mode & 0o777) == "0o600"
    _settings(tmp_path)
    assert (tmp_path / "var" / "secret_key").read_text() == first


def test_it_uses_redis_and_postgresql_when_their_urls_are_given(tmp_path):
    code, out = _settings(
        tmp_path, REDIS_URL="redis://127.0.0.1:6399/0", DATABASE_URL="postgres://u:p@127.0.0.1:5432/portal"
    )
    assert code == 0, out
    assert out.split()[3:] == ["redis", "django.db.backends.postgresql"]


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    code, out = _settings(tmp_path, PORTAL_ENV="production", PORTAL_ENCRYPTION_KEYS=Fernet.generate_key().decode())
    assert code != 0
    assert "SECRET_KEY must be set when PORTAL_ENV=production" in out
    assert not (tmp_path / "var" / "secret_key").exists()


def test_production_refuses_to_start_without_encryption_keys(tmp_path):
    code, out = _settings(tmp_path, PORTAL_ENV="production", SECRET_KEY="x" * 60)
    assert code != 0
    assert "PORTAL_ENCRYPTION_KEYS must be set" in out


def test_it_rejects_an_encryption_key_that_is_not_a_fernet_key(tmp_path):
    code, out = _settings(tmp_path, PORTAL_ENCRYPTION_KEYS="not-a-key")
    assert code != 0
    assert "not a Fernet key" in out
    assert "not-a-key" not in out.split("ImproperlyConfigured")[-1]


def test_it_accepts_a_key_set_for_rotation(tmp_path):
    keys = ",".join(Fernet.generate_key().decode() for _ in range(2))
    code, out = _settings(tmp_path, PORTAL_ENCRYPTION_KEYS=keys)
    assert code == 0, out
    assert out.split()[2] == "2"


def test_throttle_counters_live_in_redis_when_a_url_is_given(tmp_path):
    backend = "settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]"
    code, out = _settings(tmp_path, show=backend)
    assert code == 0, out
    assert out.split()[-1] == "LocMemCache"
    code, out = _settings(tmp_path, show=backend, REDIS_URL="redis://127.0.0.1:6399/0")
    assert code == 0, out
    assert out.split()[-1] == "RedisCache"


def test_it_refuses_a_malformed_rate_or_namespace_list(tmp_path):
    code, out = _settings(tmp_path, API_THROTTLE_USER="lots")
    assert code != 0
    assert "API_THROTTLE_USER must be a rate like 60/minute" in out
    code, out = _settings(tmp_path, KUBECONFIG_THROTTLE="5/fortnight")
    assert code != 0 and "KUBECONFIG_THROTTLE" in out
    code, out = _settings(tmp_path, CLUSTER_ADDON_NAMESPACES="kube-system,Not A Name")
    assert code != 0
    assert "CLUSTER_ADDON_NAMESPACES must list Kubernetes namespace names: 'Not A Name'" in out


def test_rates_and_lockout_come_from_the_environment(tmp_path):
    show = "settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['kubeconfig'], settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME.seconds"
    code, out = _settings(
        tmp_path, show=show, KUBECONFIG_THROTTLE="3/hour", LOGIN_FAILURE_LIMIT="7", LOGIN_LOCKOUT_MINUTES="2"
    )
    assert code == 0, out
    assert out.split()[-3:] == ["3/hour", "7", "120"]
