"""docker-compose.yml and the README's production section agree with the settings (Docker
itself cannot run here): the stack scales workers, has one beat, health checks, migrations
once, and every variable it sets is one the settings read."""

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def _settings_env_names() -> set[str]:
    text = "\n".join(p.read_text() for p in (REPO / "crm" / "settings").glob("*.py"))
    return set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z0-9_]+)"', text))


def _compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_compose_scales_workers_with_one_beat_health_checks_and_one_migration():
    services = _compose()["services"]
    assert {"db", "redis", "migrate", "web", "worker", "beat"} <= set(services)
    worker = services["worker"]
    assert "container_name" not in worker  # `docker compose up --scale worker=4`
    assert worker["command"][:4] == ["celery", "-A", "crm", "worker"]
    beats = [n for n, s in services.items() if "beat" in (s.get("command") or [])]
    assert beats == ["beat"]
    assert services["beat"]["deploy"]["replicas"] == 1
    for name in ("db", "redis", "web", "worker", "beat"):
        assert services[name].get("healthcheck", {}).get("test"), name
    assert services["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    # Uploaded imports are read by whichever worker takes the job: one shared volume.
    assert "media:/app/media" in services["web"]["volumes"]
    assert "media:/app/media" in services["worker"]["volumes"]


def test_every_variable_compose_sets_is_read_by_the_settings():
    env = _compose()["services"]["web"]["environment"]
    known = _settings_env_names() | {"DJANGO_SETTINGS_MODULE"}
    assert set(env) - known == set()
    assert env["DJANGO_SETTINGS_MODULE"] == "crm.settings.production"


def test_the_readme_production_variables_are_the_settings_ones():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Production", 1)[1].split("\n## ", 1)[0]
    names = set(re.findall(r"^\| `([A-Z0-9_]+)`", section, flags=re.M))
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"} <= names
    assert names - (_settings_env_names() | {"DJANGO_SETTINGS_MODULE"}) == set()
    assert "X-Forwarded-Proto" in section
    assert "--scale worker=" in section
