"""Log in, log out, password change, brute-force lockout, language switch."""

import pytest
from django.urls import reverse

from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-1"


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_lands_on_home_and_shows_only_own_customers(client, rep_alice, rep_bob_other_team):
    mine = CustomerFactory(owner=rep_alice, name="阿里斯自己的客户")
    CustomerFactory(owner=rep_bob_other_team, name="别人的客户")
    response = client.post(reverse("login"), {"username": "rep_alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    listing = client.get(reverse("customers:list"))
    assert mine.name in listing.text
    assert "别人的客户" not in listing.text


def test_wrong_password_shows_error_and_does_not_log_in(client, rep_alice):
    response = client.post(reverse("login"), {"username": "rep_alice", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_lockout_after_repeated_failures(client, rep_alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "rep_alice", "password": "wrong"})
    # Even the right password is refused while locked.
    response = client.post(reverse("login"), {"username": "rep_alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only_and_ends_session(client, rep_alice):
    client.force_login(rep_alice)
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_password_change(client, rep_alice):
    client.force_login(rep_alice)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "A-much-better-pass-2026",
            "new_password2": "A-much-better-pass-2026",
        },
    )
    assert response.status_code == 302
    rep_alice.refresh_from_db()
    assert rep_alice.check_password("A-much-better-pass-2026")


def test_weak_password_is_refused(client, rep_alice):
    client.force_login(rep_alice)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    rep_alice.refresh_from_db()
    assert rep_alice.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "退出登录"), ("en", "Log out")],
)
def test_language_switch(client, rep_alice, language, expected):
    client.force_login(rep_alice)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    page = client.get(reverse("home"))
    assert page.status_code == 200
    assert expected in page.text
    assert f'lang="{language}"' in page.text


def test_default_language_is_chinese(client, rep_alice):
    client.force_login(rep_alice)
    assert 'lang="zh-hans"' in client.get(reverse("home")).text


def test_404_page_is_friendly_in_both_languages(client, rep_alice):
    client.force_login(rep_alice)
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert "页面不存在" in page.text
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "This page does not exist" in client.get("/no-such-page/").text


def test_pages_send_strict_security_headers(client, rep_alice):
    client.force_login(rep_alice)
    response = client.get(reverse("home"))
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.text  # no inline scripts anywhere on the page


def test_healthz(client):
    assert client.get(reverse("healthz")).text == "ok"
