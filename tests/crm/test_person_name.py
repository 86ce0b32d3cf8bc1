"""One display name for people: family name first for Chinese names, the login only when no
name is recorded — in owner columns, filters, the rep book, adherence rows and greetings."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import person_name
from tests.customers.factories import CustomerFactory
from tests.strategies.factories import EnrollmentFactory, PlaybookFactory, StepFactory, TaskFactory


@pytest.mark.parametrize(
    ("first", "last", "username", "expected"),
    [
        ("霞", "汪", "demo_rep", "汪霞"),
        ("建国", "欧阳", "rep_0002", "欧阳建国"),
        ("Ada", "Lovelace", "ada", "Ada Lovelace"),
        ("Ada", "", "ada", "Ada"),
        ("", "汪", "x", "汪"),
        ("", "", "rep_0002", "rep_0002"),
        ("  ", " ", "rep_0003", "rep_0003"),
        ("霞", "Wang", "x", "Wang霞"),
    ],
)
def test_person_name(first, last, username, expected):
    assert person_name(first_name=first, last_name=last, username=username) == expected


@pytest.fixture
def named_alice(rep_alice):
    rep_alice.first_name, rep_alice.last_name = "霞", "汪"
    rep_alice.save(update_fields=["first_name", "last_name"])
    return rep_alice


@pytest.mark.django_db
def test_user_str_and_full_name(named_alice, rep_amy):
    assert str(named_alice) == named_alice.display_name == "汪霞"
    assert named_alice.get_full_name() == "汪霞"
    rep_amy.first_name = rep_amy.last_name = ""
    assert str(rep_amy) == rep_amy.username
    assert rep_amy.get_full_name() == ""


@pytest.mark.django_db
def test_header_names_the_person(client, named_alice):
    client.force_login(named_alice)
    body = client.get(reverse("customers:list")).content.decode()
    assert "汪霞" in body
    assert "霞 汪" not in body


@pytest.mark.django_db
def test_owner_filter_lists_people_not_logins(client, manager_maria, named_alice):
    CustomerFactory(owner=named_alice)
    client.force_login(manager_maria)
    body = client.get(reverse("customers:list")).content.decode()
    assert f'<option value="{named_alice.pk}">汪霞</option>' in body
    assert f">{named_alice.username}</option>" not in body


@pytest.mark.django_db
def test_adherence_rows_name_the_rep(client, manager_maria, named_alice):
    pb = PlaybookFactory(max_interval_days=14)
    customer = CustomerFactory(owner=named_alice)
    TaskFactory(
        customer=customer,
        enrollment=EnrollmentFactory(customer=customer, playbook=pb),
        step=StepFactory(playbook=pb, kind="call"),
        due_on=timezone.localdate() - dt.timedelta(days=1),
    )
    client.force_login(manager_maria)
    response = client.get(reverse("strategies:adherence"))
    labels = [r.label for r in response.context["rows"]]
    assert "汪霞" in labels
    assert named_alice.username not in labels
