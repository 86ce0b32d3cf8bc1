"""Security settings that protect every page: the deploy check, CSRF on forms and htmx
requests, session idle expiry, password rules, and templates free of inline code.

The CSP and X-Frame-Options headers of every page are checked by the permission matrix
(tests/crm/test_permission_matrix.py), which requests every URL of the project."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.customers.factories import CustomerFactory

REPO = Path(__file__).resolve().parent.parent.parent


def test_deploy_check_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings.production",
        "SECRET_KEY": "k" * 20 + "-not-a-real-secret-but-long-and-random-enough-8f2c1",
        "ALLOWED_HOSTS": "crm.example.com",
    }
    env.pop("DATABASE_URL", None)
    # The browser tests set this in the test process (Playwright runs an event loop); a
    # deployment never has it, and the deploy check rightly flags it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings.production"}
    env.pop("SECRET_KEY", None)
    env["ALLOWED_HOSTS"] = "crm.example.com"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


# --- CSRF --------------------------------------------------------------------------------


LOG_DATA = {"channel": "call", "direction": "outbound", "outcome": "reached", "summary": "hi"}


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def alice_customer(rep_alice):
    return CustomerFactory(owner=rep_alice)


@pytest.mark.django_db
def test_form_post_without_token_is_refused(csrf_client, rep_alice, alice_customer):
    csrf_client.force_login(rep_alice)
    url = reverse("customers:log", args=[alice_customer.pk])
    response = csrf_client.post(url, LOG_DATA)
    assert response.status_code == 403
    assert alice_customer.contact_logs.count() == 0


@pytest.mark.django_db
def test_htmx_post_without_token_is_refused(csrf_client, rep_alice, alice_customer):
    csrf_client.force_login(rep_alice)
    url = reverse("customers:log", args=[alice_customer.pk])
    response = csrf_client.post(
        url,
        LOG_DATA,
        headers={"HX-Request": "true", "HX-Target": "timeline"},
    )
    assert response.status_code == 403
    assert alice_customer.contact_logs.count() == 0


@pytest.mark.django_db
def test_htmx_post_with_the_page_token_in_the_header_works(csrf_client, rep_alice, alice_customer):
    """The page puts the token into hx-headers; htmx sends it as X-CSRFToken."""
    csrf_client.force_login(rep_alice)
    page = csrf_client.get(reverse("customers:detail", args=[alice_customer.pk]))
    token = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", page.text)
    assert token, "the page does not hand htmx a CSRF token"
    response = csrf_client.post(
        reverse("customers:log", args=[alice_customer.pk]),
        LOG_DATA,
        headers={"HX-Request": "true", "X-CSRFToken": token.group(1)},
    )
    assert response.status_code == 200
    assert alice_customer.contact_logs.count() == 1


@pytest.mark.django_db
def test_login_post_without_token_is_refused(csrf_client, rep_alice):
    response = csrf_client.post(reverse("login"), {"username": "rep_alice", "password": "x"})
    assert response.status_code == 403


TEMPLATE_DIRS = [
    *REPO.glob("templates"),
    *REPO.glob("*/templates"),
]


def _templates():
    for root in TEMPLATE_DIRS:
        yield from root.rglob("*.html")


def test_every_post_form_in_the_templates_has_a_csrf_token():
    missing = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for form in re.finditer(r"<form\b[^>]*>(.*?)</form>", text, re.S | re.I):
            opening = form.group(0)[: form.group(0).find(">") + 1].lower()
            if 'method="post"' in opening and "csrf_token" not in form.group(1):
                missing.append(f"{path.relative_to(REPO)}: {opening}")
    assert not missing, "POST forms without {% csrf_token %}:\n" + "\n".join(missing)


def test_templates_have_no_inline_script_style_or_handlers():
    problems = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text, re.I):
            if "src=" not in tag:
                problems.append(f"{path.relative_to(REPO)}: {tag}")
        for attr in re.findall(r"<[^>]*\s(style|on[a-z]+)\s*=", text, re.I):
            problems.append(f"{path.relative_to(REPO)}: {attr}=")
    assert not problems, "\n".join(problems)


# --- Sessions ----------------------------------------------------------------------------


def test_session_policy_is_an_idle_timeout():
    """One rule, documented in docs/security.md: a session ends after
    SESSION_COOKIE_AGE of inactivity (requests renew it, at most once per
    SESSION_RENEW_INTERVAL); the cookie is persistent so the rule does not depend on how a
    browser restores 'closed' sessions."""
    assert settings.SESSION_SAVE_EVERY_REQUEST is False  # crm.middleware renews instead
    sessions = settings.MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware")
    assert settings.MIDDLEWARE[sessions + 1] == "crm.middleware.SessionRenewMiddleware"
    assert 0 < settings.SESSION_RENEW_INTERVAL <= settings.SESSION_COOKIE_AGE // 20
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is False
    assert 15 * 60 <= settings.SESSION_COOKIE_AGE <= 4 * 60 * 60
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"


def _expiry(client) -> timezone.datetime:
    return Session.objects.get(
        session_key=client.cookies[settings.SESSION_COOKIE_NAME].value
    ).expire_date


@pytest.mark.django_db
def test_a_request_renews_the_session_cookie(client, rep_alice):
    client.force_login(rep_alice)
    response = client.get(reverse("home"))
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE


@pytest.mark.django_db
def test_requests_within_the_renew_interval_write_nothing(client, rep_alice):
    client.force_login(rep_alice)
    client.get(reverse("home"))  # renews
    before = _expiry(client)
    response = client.get(reverse("customers:list"))
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies  # not re-sent
    assert _expiry(client) == before  # not re-written


@pytest.mark.django_db
def test_the_first_request_after_the_interval_renews_the_expiry(client, rep_alice):
    from crm.middleware import RENEWED_AT

    client.force_login(rep_alice)
    client.get(reverse("home"))
    session = client.session
    stamp = session[RENEWED_AT] - settings.SESSION_RENEW_INTERVAL
    session[RENEWED_AT] = stamp
    session.save()
    Session.objects.update(expire_date=timezone.now() + timezone.timedelta(minutes=5))
    response = client.get(reverse("home"))
    assert int(response.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == (
        settings.SESSION_COOKIE_AGE
    )
    remaining = _expiry(client) - timezone.now()
    assert remaining > timezone.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
    assert client.session[RENEWED_AT] > stamp


@pytest.mark.django_db
def test_anonymous_requests_store_no_session(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()


@pytest.mark.django_db
def test_log_out_is_not_undone_by_the_renewal(client, rep_alice):
    client.force_login(rep_alice)
    client.get(reverse("home"))
    client.post(reverse("logout"))
    assert not Session.objects.exists()  # flushed, and not saved again
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_an_idle_session_expires(client, rep_alice):
    client.force_login(rep_alice)
    assert client.get(reverse("home")).status_code == 200
    # Idle longer than SESSION_COOKIE_AGE: the server-side session has expired.
    Session.objects.update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- Passwords ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("Ab1!x", "too short"),
        ("password123", "too common"),
        ("83749261530", "entirely numeric"),
        ("rep_alice_2026", "too similar to the username"),
    ],
)
def test_weak_passwords_are_refused(rep_alice, password, why):
    with pytest.raises(ValidationError):
        validate_password(password, user=rep_alice)


@pytest.mark.django_db
def test_a_good_password_is_accepted(rep_alice):
    validate_password("Kestrel-harbour-lantern-58", user=rep_alice)
