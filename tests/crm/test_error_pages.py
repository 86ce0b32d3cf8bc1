"""400/403/404/500: styled (the site's stylesheet), translated, with a way back."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

HEADINGS = {
    "zh-hans": {
        400: "无法处理这个请求",
        403: "您没有权限访问此页面",
        404: "页面不存在",
        500: "服务器出了问题",
    },
    "en": {
        400: "This request could not be read",
        403: "You do not have access to this page",
        404: "This page does not exist",
        500: "Something went wrong on our side",
    },
}


def _get(client, url, language):
    client.cookies["django_language"] = language
    return client.get(url, headers={"accept-language": language})


@pytest.fixture
def rep_client(rep_alice):
    client = Client(raise_request_exception=False)
    client.force_login(rep_alice)
    return client


@pytest.mark.urls("tests.crm.error_urls")
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/test-errors/suspicious/", 400),
        ("/test-errors/forbidden/", 403),
        ("/no-such-page/", 404),
        ("/test-errors/boom/", 500),
    ],
)
def test_error_pages_are_styled_translated_and_lead_back(rep_client, url, status, language):
    response = _get(rep_client, url, language)
    assert response.status_code == status
    body = response.content.decode()
    assert HEADINGS[language][status] in body
    assert f'<html lang="{language}"' in body
    assert "css/crm.css" in body
    assert 'class="skip-link"' in body
    assert f'href="{reverse("home")}"' in body  # a way back
    assert f'href="{reverse("customers:list")}"' in body


def test_rep_on_the_import_page_gets_the_styled_403(rep_client):
    response = _get(rep_client, reverse("customers:import"), "zh-hans")
    assert response.status_code == 403
    assert HEADINGS["zh-hans"][403] in response.content.decode()
    assert 'class="site-nav"' in response.content.decode()


def test_manager_on_rule_sets_in_admin_gets_the_styled_403(manager_maria):
    manager_maria.is_staff = True
    manager_maria.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(manager_maria)
    # Staff without the permission: admin raises PermissionDenied, the site's page answers.
    response = _get(client, reverse("admin:segmentation_ruleset_add"), "en")
    assert response.status_code == 403
    assert HEADINGS["en"][403] in response.content.decode()


def test_anonymous_404_offers_the_login(client):
    response = _get(client, "/no-such-page/", "en")
    assert response.status_code == 404
    assert f'href="{reverse("login")}"' in response.content.decode()
