"""Personal data: masking on pages and in exports, the export log, the import log, and
"anonymise customer"."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse

from customers.models import (
    Contact,
    ContactLog,
    Customer,
    CustomerAnonymisation,
    ExportLog,
    ImportLog,
    Transaction,
)
from customers.privacy import (
    looks_masked,
    mask,
    mask_email,
    mask_phone,
    personal_data_visible,
)
from customers.services import customer_anonymise
from tests.customers.factories import (
    ContactFactory,
    ContactLogFactory,
    CustomerFactory,
    ServiceCaseFactory,
    TransactionFactory,
)
from tests.segmentation.factories import ClassPinFactory

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
EMAIL = "zhang.wei@example.com"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "138****5678"),
        ("+86 138 1234 5678", "+86****5678"),
        ("12345", "****45"),
        ("12", "****"),
        ("", ""),
    ],
)
def test_mask_phone(value, expected):
    assert mask_phone(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("alice@example.com", "a***@example.com"),
        ("x@y.cn", "x***@y.cn"),
        ("not-an-email", "no****"),
        ("", ""),
    ],
)
def test_mask_email(value, expected):
    assert mask_email(value) == expected


def test_masked_values_are_recognised():
    assert looks_masked(mask("phone", PHONE))
    assert looks_masked(mask("email", EMAIL))
    assert not looks_masked(PHONE)
    assert not looks_masked(EMAIL)


@pytest.fixture
def alice_customer(rep_alice):
    customer = CustomerFactory(owner=rep_alice, phone=PHONE, email=EMAIL)
    ContactFactory(customer=customer, phone="13900001111", email="li.na@example.com")
    return customer


@pytest.fixture
def bob_customer(rep_bob_other_team):
    return CustomerFactory(owner=rep_bob_other_team, phone="13700002222", email="bob@example.com")


def _grant(user, codename="export_personal_data"):
    user.user_permissions.add(Permission.objects.get(codename=codename))
    # has_perm caches; a fresh instance sees the new permission.
    return type(user).objects.get(pk=user.pk)


@pytest.mark.parametrize(
    ("persona", "full"),
    [
        ("rep_alice", True),  # own customer
        ("manager_maria", True),  # own team
        ("director_dora", True),  # dora manages team A too
        ("admin_ada", True),
    ],
)
def test_who_sees_alice_customer_in_full(personas, alice_customer, persona, full):
    assert personal_data_visible(personas[persona], alice_customer) is full


def test_director_sees_other_team_masked_unless_permitted(director_dora, bob_customer):
    assert not personal_data_visible(director_dora, bob_customer)
    assert personal_data_visible(_grant(director_dora), bob_customer)


def test_customer_page_masks_other_teams_for_a_director(client, director_dora, bob_customer):
    client.force_login(director_dora)
    page = client.get(reverse("customers:detail", args=[bob_customer.pk])).text
    assert "13700002222" not in page
    assert "137****2222" in page
    assert "bob@example.com" not in page
    assert "b***@example.com" in page


def test_customer_page_shows_own_customer_in_full(client, rep_alice, alice_customer):
    client.force_login(rep_alice)
    page = client.get(reverse("customers:detail", args=[alice_customer.pk])).text
    assert PHONE in page
    assert EMAIL in page
    assert "13900001111" in page  # the contact's phone


def test_contact_details_are_masked_too(client, director_dora, bob_customer):
    ContactFactory(customer=bob_customer, phone="13655556666", wechat="bob_wechat_id")
    client.force_login(director_dora)
    page = client.get(reverse("customers:detail", args=[bob_customer.pk])).text
    assert "13655556666" not in page
    assert "136****6666" in page
    assert "bob_wechat_id" not in page


def test_edit_form_without_full_view_has_no_personal_fields_and_keeps_them(
    client, director_dora, bob_customer
):
    client.force_login(director_dora)
    url = reverse("customers:edit", args=[bob_customer.pk])
    form_page = client.get(url).text
    assert "13700002222" not in form_page
    assert 'name="phone"' not in form_page
    # A crafted POST with a phone value does not change it either.
    client.post(url, {"name": "Renamed", "phone": "000"})
    bob_customer.refresh_from_db()
    assert bob_customer.phone == "13700002222"


def _csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_export_is_masked_without_the_permission(client, manager_maria, alice_customer):
    client.force_login(manager_maria)
    rows = _csv(client.get(reverse("customers:export", args=["csv"])))
    assert rows[0]["phone"] == "138****5678"
    assert rows[0]["email"] == "z***@example.com"


def test_export_is_full_with_the_permission(client, manager_maria, alice_customer):
    client.force_login(_grant(manager_maria))
    rows = _csv(client.get(reverse("customers:export", args=["csv"])))
    assert rows[0]["phone"] == PHONE
    assert rows[0]["email"] == EMAIL


def test_every_web_export_is_logged(client, manager_maria, alice_customer, rep_alice):
    CustomerFactory(owner=rep_alice, industry="retail")
    client.force_login(manager_maria)
    _csv(client.get(reverse("customers:export", args=["csv"]), {"industry": "retail"}))
    client.get(reverse("customers:export", args=["xlsx"]))
    csv_log, xlsx_log = ExportLog.objects.order_by("id")
    assert csv_log.user == manager_maria
    assert csv_log.username == "manager_maria"
    assert csv_log.format == "csv"
    assert csv_log.query == "industry=retail"
    assert csv_log.rows == 1
    assert csv_log.personal_data is False
    assert csv_log.finished_at is not None
    assert (xlsx_log.format, xlsx_log.rows, xlsx_log.query) == ("xlsx", 2, "")


def test_unfinished_download_is_logged_without_a_row_count(client, manager_maria, alice_customer):
    client.force_login(manager_maria)
    response = client.get(reverse("customers:export", args=["csv"]))
    next(iter(response.streaming_content))  # the client went away after the first bytes
    log = ExportLog.objects.get()
    assert log.rows is None
    assert log.finished_at is None


def test_export_command_is_logged(tmp_path, alice_customer):
    out = tmp_path / "all.csv"
    call_command("export_data", "customers", "--out", str(out), "--masked")
    log = ExportLog.objects.get()
    assert log.source == "command"
    assert log.username.startswith("shell:")
    assert log.rows == 1
    assert log.personal_data is False
    assert "138****5678" in out.read_text(encoding="utf-8-sig")


def test_export_log_is_read_only_in_admin(client, admin_ada, manager_maria, alice_customer):
    client.force_login(manager_maria)
    _csv(client.get(reverse("customers:export", args=["csv"])))
    log = ExportLog.objects.get()
    client.force_login(admin_ada)
    assert client.get(reverse("admin:customers_exportlog_changelist")).status_code == 200
    page = client.get(reverse("admin:customers_exportlog_change", args=[log.pk]))
    assert page.status_code == 200
    assert 'name="format"' not in page.text  # read-only
    assert client.get(reverse("admin:customers_exportlog_add")).status_code == 403
    # Managers do not see who exported what.
    client.force_login(manager_maria)
    assert client.get(reverse("admin:customers_exportlog_changelist")).status_code == 403


def test_masked_export_does_not_overwrite_real_values_on_reimport(tmp_path, alice_customer):
    out = tmp_path / "masked.csv"
    call_command("export_data", "customers", "--out", str(out), "--masked")
    from customers.importing import run_import

    report = run_import(kind="customers", path=out)
    assert not report.written
    assert any(p.column == "phone" and p.value == "138****5678" for p in report.problems)
    alice_customer.refresh_from_db()
    assert alice_customer.phone == PHONE


def test_an_applied_import_writes_one_log_entry(tmp_path, manager_maria, alice_customer):
    from customers.importing import run_import

    path = tmp_path / "c.csv"
    path.write_text(
        "code,name\n" + "".join(f"NEW{i},客户{i}\n" for i in range(25)), encoding="utf-8"
    )
    run_import(kind="customers", path=path, actor=manager_maria, dry_run=True)
    assert not ImportLog.objects.exists()  # a dry run writes nothing
    run_import(kind="customers", path=path, actor=manager_maria)
    log = ImportLog.objects.get()
    assert (log.user, log.kind, log.rows, log.created, log.succeeded) == (
        manager_maria,
        "customers",
        25,
        25,
        True,
    )
    # The bulk path writes no per-row history.
    assert Customer.history.filter(external_code__startswith="NEW").count() == 0


# --- Anonymisation ------------------------------------------------------------------------


@pytest.fixture
def rich_customer(rep_alice):
    customer = CustomerFactory(
        owner=rep_alice,
        name="张伟贸易有限公司",
        phone=PHONE,
        email=EMAIL,
        address="上海市浦东新区世纪大道 100 号",
        notes="老板张伟喜欢周五下午通话",
        gender="male",
    )
    ContactFactory(
        customer=customer, name="张伟", phone="13911112222", email="zw@example.com", notes="私人"
    )
    ContactLogFactory(customer=customer, summary="和张伟谈了续约")
    ServiceCaseFactory(customer=customer, subject="张伟投诉", description="张伟说…")
    TransactionFactory(customer=customer, amount="1200.00")
    TransactionFactory(customer=customer, amount="800.00")
    ClassPinFactory(customer=customer, reason="张伟是老朋友", created_by=rep_alice)
    LogEntry.objects.create(
        user=rep_alice,
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=str(customer.pk),
        object_repr=str(customer),
        action_flag=ADDITION,
    )
    return customer


def _all_text(customer) -> str:
    """Everything stored about the customer that a person could read."""
    from segmentation.models import ClassPin

    parts = [
        repr(Customer.objects.filter(pk=customer.pk).values().get()),
        repr(list(Contact.objects.filter(customer=customer).values())),
        repr(list(ContactLog.objects.filter(customer=customer).values())),
        repr(list(customer.service_cases.values())),
        repr(list(ClassPin.objects.filter(customer=customer).values())),
        repr(list(ClassPin.history.filter(customer_id=customer.pk).values())),
        repr(list(Customer.history.filter(id=customer.pk).values())),
        repr(list(LogEntry.objects.values("object_repr", "change_message"))),
    ]
    return "\n".join(parts)


def test_anonymise_erases_personal_data_and_keeps_the_numbers(admin_ada, rich_customer):
    total_before = Transaction.objects.filter(customer=rich_customer).aggregate(s=Sum("amount"))
    record = customer_anonymise(actor=admin_ada, customer=rich_customer, reason="PIPL 请求 #42")
    rich_customer.refresh_from_db()
    assert rich_customer.name == f"已匿名客户 #{rich_customer.pk}"
    assert (rich_customer.phone, rich_customer.email, rich_customer.address) == ("", "", "")
    assert rich_customer.notes == ""
    assert rich_customer.gender == ""
    text = _all_text(rich_customer)
    for trace in ("张伟", PHONE, EMAIL, "13911112222", "zw@example.com", "世纪大道", "私人"):
        assert trace not in text, trace
    # Orders, amounts and ownership stay.
    assert Transaction.objects.filter(customer=rich_customer).count() == 2
    assert (
        Transaction.objects.filter(customer=rich_customer).aggregate(s=Sum("amount"))
        == total_before
    )
    assert rich_customer.owner.username == "rep_alice"
    # Audited: who, when, why.
    assert record.actor == admin_ada
    assert record.reason == "PIPL 请求 #42"
    assert record.erased["contacts"] == 1
    assert record.erased["contact_logs"] == 1
    assert record.erased["segmentation"] == 1


def test_anonymise_needs_a_reason_and_happens_once(admin_ada, rich_customer):
    with pytest.raises(ValidationError):
        customer_anonymise(actor=admin_ada, customer=rich_customer, reason="  ")
    assert not CustomerAnonymisation.objects.exists()
    customer_anonymise(actor=admin_ada, customer=rich_customer, reason="request")
    with pytest.raises(ValidationError):
        customer_anonymise(actor=admin_ada, customer=rich_customer, reason="again")


def test_anonymised_customer_is_not_found_by_its_old_name_nor_exported(
    client, rep_alice, admin_ada, rich_customer
):
    customer_anonymise(actor=admin_ada, customer=rich_customer, reason="request")
    client.force_login(rep_alice)
    detail = reverse("customers:detail", args=[rich_customer.pk])
    page = client.get(reverse("customers:list"), {"q": "张伟"}).text
    assert detail not in page  # the search (echoed in its box) finds nothing
    assert "张伟贸易" not in page
    # Found under its code and new name.
    page = client.get(reverse("customers:list"), {"q": rich_customer.external_code}).text
    assert detail in page
    assert f"已匿名客户 #{rich_customer.pk}" in page
    client.force_login(admin_ada)
    for fmt in ("csv", "xlsx"):
        response = client.get(reverse("customers:export", args=[fmt]))
        body = (
            b"".join(response.streaming_content)
            if response.streaming
            else b"".join(response.streaming_content or [response.content])
        )
        if fmt == "xlsx":
            import openpyxl

            wb = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
            body = repr([list(r) for r in wb.active.iter_rows(values_only=True)]).encode()
        text = body.decode("utf-8", errors="replace")
        for trace in ("张伟", PHONE, EMAIL, "世纪大道"):
            assert trace not in text, (fmt, trace)


def test_admin_action_asks_for_a_reason_then_anonymises(client, admin_ada, rich_customer):
    client.force_login(admin_ada)
    url = reverse("admin:customers_customer_changelist")
    confirm = client.post(url, {"action": "anonymise", "_selected_action": [rich_customer.pk]})
    assert confirm.status_code == 200
    assert "张伟贸易有限公司" in confirm.text  # the page shows what will be erased
    assert not CustomerAnonymisation.objects.exists()
    # Without ticking the confirmation nothing happens.
    client.post(
        url,
        {
            "action": "anonymise",
            "_selected_action": [rich_customer.pk],
            "apply": "1",
            "reason": "ticket 7",
        },
    )
    assert not CustomerAnonymisation.objects.exists()
    done = client.post(
        url,
        {
            "action": "anonymise",
            "_selected_action": [rich_customer.pk],
            "apply": "1",
            "reason": "ticket 7",
            "confirm": "on",
        },
        follow=True,
    )
    assert done.status_code == 200
    record = CustomerAnonymisation.objects.get()
    assert (record.actor, record.reason) == (admin_ada, "ticket 7")
    assert (
        client.get(reverse("admin:customers_customeranonymisation_changelist")).status_code == 200
    )


def test_managers_cannot_anonymise(client, manager_maria, rich_customer):
    manager_maria.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="customers")
    )
    client.force_login(manager_maria)
    url = reverse("admin:customers_customer_changelist")
    page = client.get(url)
    assert "anonymise" not in page.text
    client.post(
        url,
        {
            "action": "anonymise",
            "_selected_action": [rich_customer.pk],
            "apply": "1",
            "reason": "x",
            "confirm": "on",
        },
    )
    assert not CustomerAnonymisation.objects.exists()


def test_dashboard_exports_are_logged_too(client, manager_maria, alice_customer):
    client.force_login(manager_maria)
    response = client.get(reverse("dashboards:overview"), {"export": "csv", "industry": "retail"})
    b"".join(response.streaming_content)
    log = ExportLog.objects.get()
    assert (log.user, log.what, log.format, log.query) == (
        manager_maria,
        "overview",
        "csv",
        "industry=retail",
    )
    assert log.rows is not None
    assert log.finished_at is not None


def test_admin_contact_list_masks_other_teams_phones(client, director_dora, bob_customer):
    ContactFactory(customer=bob_customer, name="Bob's contact", phone="13655556666")
    director_dora.user_permissions.add(Permission.objects.get(codename="view_contact"))
    client.force_login(director_dora)
    page = client.get(reverse("admin:customers_contact_changelist")).text
    assert "Bob&#x27;s contact" in page or "Bob's contact" in page
    assert "13655556666" not in page
    assert "136****6666" in page
