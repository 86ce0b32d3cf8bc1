"""Tags on the customer page: who may set them (who may edit the customer), bad values, htmx."""

import pytest
from django.urls import reverse

from customers.models import CustomerTag, TagDefinition, TagOption
from tests.conftest import PERSONAS, SEES_ALICE
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def need_tag(db):
    tag = TagDefinition.objects.create(key="need", name_zh_hans="需求类型", name_en="Need type")
    TagOption.objects.create(
        tag=tag, code="quality", label_zh_hans="品质追求型", label_en="Quality"
    )
    TagOption.objects.create(tag=tag, code="cost", label_zh_hans="成本敏感型", label_en="Cost")
    return tag


@pytest.fixture
def alices(rep_alice):
    return CustomerFactory(owner=rep_alice, name="华星机械")


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_who_may_edit_the_customer_sets_a_tag(client, personas, alices, need_tag, persona):
    client.force_login(personas[persona])
    response = client.post(
        reverse("customers:tags", args=[alices.pk]), {"tag": "need", "value": "quality"}
    )
    if persona in SEES_ALICE:
        assert response.status_code == 302
        assert CustomerTag.objects.get(customer=alices).value == "quality"
    else:
        assert response.status_code == 404
        assert not CustomerTag.objects.exists()


def test_customer_page_shows_the_tag_form(client, rep_alice, alices, need_tag):
    CustomerTag.objects.create(customer=alices, tag=need_tag, value="cost")
    client.force_login(rep_alice)
    body = client.get(reverse("customers:detail", args=[alices.pk])).content.decode()
    assert 'id="customer-tags"' in body
    assert 'value="cost" selected' in body
    assert f'hx-post="{reverse("customers:tags", args=[alices.pk])}"' in body


def test_htmx_swaps_the_box_and_clears(client, rep_alice, alices, need_tag):
    client.force_login(rep_alice)
    url = reverse("customers:tags", args=[alices.pk])
    response = client.post(url, {"tag": "need", "value": "quality"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="customer-tags"')
    assert 'value="quality" selected' in body
    client.post(url, {"tag": "need", "value": ""}, HTTP_HX_REQUEST="true")
    assert not CustomerTag.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"tag": "need", "value": "cheap"}, "“cheap” is not a value of the tag"),
        ({"tag": "mood", "value": "happy"}, "There is no tag “mood”"),
    ],
)
def test_bad_tag_values_are_refused(client, rep_alice, alices, need_tag, data, message):
    CustomerTag.objects.create(customer=alices, tag=need_tag, value="cost")
    client.force_login(rep_alice)
    response = client.post(
        reverse("customers:tags", args=[alices.pk]),
        data,
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert CustomerTag.objects.get(customer=alices).value == "cost"  # nothing lost
