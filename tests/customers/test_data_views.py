"""Import page, exports (CSV, XLSX, command) and merge: personas, escaping, audit."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from customers import extensions
from customers.exporting import safe_cell
from customers.models import ContactLog, Customer, CustomerMerge, Transaction
from tests.conftest import PERSONAS
from tests.customers.factories import (
    ContactFactory,
    ContactLogFactory,
    CustomerFactory,
    ReferralFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db

MANAGERS = {"manager_maria", "manager_mike_other_team", "director_dora", "admin_ada"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _upload(text: str, name: str = "data.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


# ---------------------------------------------------------------- import page


@pytest.mark.parametrize("persona", PERSONAS)
def test_import_page_is_for_managers_and_admins(client, personas, persona):
    client.force_login(personas[persona])
    response = client.get(reverse("customers:import"))
    assert response.status_code == (200 if persona in MANAGERS else 403)


def test_import_page_dry_run_then_apply(client, manager_maria):
    client.force_login(manager_maria)
    response = client.post(
        reverse("customers:import"),
        {"kind": "customers", "file": _upload("code,name\nM1,甲\nM2,乙\n")},
    )
    assert response.status_code == 200
    assert not Customer.objects.exists()  # the check writes nothing
    token = response.context["token"]
    assert response.context["report"].to_create == 2
    response = client.post(reverse("customers:import"), {"token": token})
    assert response.status_code == 200
    assert response.context["report"].created == 2
    assert set(Customer.objects.values_list("team", flat=True)) == {manager_maria.team_id}


def test_import_page_lists_problems_and_skips_on_request(client, manager_maria):
    client.force_login(manager_maria)
    response = client.post(
        reverse("customers:import"),
        {"kind": "customers", "file": _upload("code,name\nM1,甲\nM2,\n")},
    )
    body = response.content.decode()
    assert "M2" not in body or "name" in body
    report = response.context["report"]
    assert [(p.row, p.column) for p in report.problems] == [(3, "name")]
    token = response.context["token"]
    blocked = client.post(reverse("customers:import"), {"token": token})
    assert blocked.status_code == 400
    assert not Customer.objects.exists()
    applied = client.post(reverse("customers:import"), {"token": token, "skip_invalid": "1"})
    assert applied.context["report"].created == 1
    skipped = client.get(reverse("customers:import_skipped", args=[token]))
    assert skipped.status_code == 200
    content = b"".join(skipped.streaming_content).decode("utf-8-sig")
    assert "M2" in content


def test_import_token_of_another_session_is_404(client, manager_maria, manager_mike_other_team):
    client.force_login(manager_maria)
    token = client.post(
        reverse("customers:import"), {"kind": "customers", "file": _upload("code,name\nM1,甲\n")}
    ).context["token"]
    client.force_login(manager_mike_other_team)
    assert client.post(reverse("customers:import"), {"token": token}).status_code == 404
    assert client.get(reverse("customers:import_skipped", args=[token])).status_code == 404
    assert not Customer.objects.exists()


def test_import_page_rejects_wrong_file_type(client, manager_maria):
    client.force_login(manager_maria)
    response = client.post(
        reverse("customers:import"),
        {"kind": "customers", "file": _upload("x", name="photo.png")},
    )
    assert response.status_code == 400
    assert "file" in response.context["form"].errors


def test_import_page_shows_file_errors(client, manager_maria):
    client.force_login(manager_maria)
    empty = client.post(reverse("customers:import"), {"kind": "customers", "file": _upload("")})
    assert empty.status_code == 400
    assert "file" in empty.context["form"].errors
    response = client.post(
        reverse("customers:import"), {"kind": "customers", "file": _upload("foo,bar\n1,2\n")}
    )
    assert "code" in response.context["report"].file_error
    assert response.context["report"].file_error in response.content.decode()
    assert not Customer.objects.exists()


# ---------------------------------------------------------------- export


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86 21", "'+86 21"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("normal", "normal"),
        (-5, -5),
        (None, None),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def _csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_csv_export_respects_access_filters_and_escapes(client, rep_alice, rep_amy):
    CustomerFactory(owner=rep_alice, name='=HYPERLINK("http://x")', industry="retail")
    CustomerFactory(owner=rep_alice, name="普通", industry="finance")
    CustomerFactory(owner=rep_amy, name="别人的")
    client.force_login(rep_alice)
    rows = _csv_rows(client.get(reverse("customers:export", args=["csv"]), {"industry": "retail"}))
    assert rows[0][:2] == ["code", "name"]
    assert len(rows) == 2
    assert rows[1][1].startswith("'=")


def test_xlsx_export(client, manager_maria, rep_alice, rep_bob_other_team):
    from openpyxl import load_workbook

    CustomerFactory(owner=rep_alice, name="@危险")
    CustomerFactory(owner=rep_bob_other_team, name="别队")
    client.force_login(manager_maria)
    response = client.get(reverse("customers:export", args=["xlsx"]))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "code"
    assert [r[1] for r in rows[1:]] == ["'@危险"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_export_every_persona_sees_only_their_scope(client, personas, rep_alice, persona):
    CustomerFactory(owner=rep_alice, external_code="ALICE1")
    client.force_login(personas[persona])
    rows = _csv_rows(client.get(reverse("customers:export", args=["csv"])))
    codes = [r[0] for r in rows[1:]]
    sees = persona in {"rep_alice", "manager_maria", "director_dora", "admin_ada"}
    assert ("ALICE1" in codes) == sees


def test_export_query_count_does_not_grow(client, rep_alice, django_assert_max_num_queries):
    client.force_login(rep_alice)
    CustomerFactory.create_batch(2, owner=rep_alice)
    # +4 for the audit and privacy: the export log is written before and completed after the
    # rows, and the user's permissions are read once (full or masked personal data).
    with django_assert_max_num_queries(16) as few:
        _csv_rows(client.get(reverse("customers:export", args=["csv"])))
    CustomerFactory.create_batch(30, owner=rep_alice)
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = _csv_rows(client.get(reverse("customers:export", args=["csv"])))
    assert len(rows) == 33


def test_export_command_with_figures_and_extension_columns(tmp_path, rep_alice):
    import datetime as dt

    from django.utils import timezone

    c = CustomerFactory(owner=rep_alice, external_code="E1", name="+导出")
    TransactionFactory(customer=c, date=timezone.localdate(), amount=300)
    TransactionFactory(customer=c, date=dt.date(2000, 1, 1), amount=50)
    extensions.register_export_columns(
        "test_cls", headers=["test_extra"], fetch=lambda ids: {i: ["loyal"] for i in ids}
    )
    try:
        out = tmp_path / "c.csv"
        call_command("export_data", "customers", "--out", str(out))
    finally:
        extensions._export_columns.pop("test_cls")
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    (row,) = rows
    assert row["code"] == "E1"
    assert row["name"] == "'+导出"
    assert row["revenue_this_year"] == "300.00"
    assert row["revenue_total"] == "350.00"
    assert row["orders"] == "2"
    assert row["last_purchase"] == timezone.localdate().isoformat()
    assert row["owner"] == "rep_alice"
    assert row["test_extra"] == "loyal"


def test_exported_file_imports_back_unchanged(tmp_path, rep_alice):
    CustomerFactory(owner=rep_alice, external_code="R1", name="往返", city="杭州")
    out = tmp_path / "c.csv"
    call_command("export_data", "customers", "--out", str(out))
    from customers.importing import run_import

    report = run_import(kind="customers", path=out)
    assert report.ignored_columns  # figures are not importable; they are said to be ignored
    assert (report.created, report.updated, report.invalid) == (0, 0, 0)


# ---------------------------------------------------------------- merge


@pytest.fixture
def pair(rep_alice):
    keep = CustomerFactory(owner=rep_alice, external_code="KEEP", name="保留", phone="")
    dup = CustomerFactory(owner=rep_alice, external_code="DUP", name="保留 ", phone="138")
    TransactionFactory.create_batch(2, customer=dup)
    ContactLogFactory(customer=dup)
    ContactFactory(customer=dup)
    ReferralFactory(referrer=dup)
    ReferralFactory(referrer=keep, referred=dup, referred_name="")
    return keep, dup


@pytest.mark.parametrize("persona", PERSONAS)
def test_merge_every_persona(client, personas, pair, persona):
    keep, dup = pair
    client.force_login(personas[persona])
    response = client.post(
        reverse("customers:merge", args=[keep.pk]), {"other_code": "DUP", "confirm": "on"}
    )
    if persona in {"manager_maria", "director_dora", "admin_ada"}:
        assert response.status_code == 302
        assert not Customer.objects.filter(pk=dup.pk).exists()
    else:
        assert response.status_code in (403, 404)
        assert Customer.objects.filter(pk=dup.pk).exists()
        assert Transaction.objects.filter(customer=dup).count() == 2


def test_merge_moves_everything_and_is_audited(client, manager_maria, pair):
    keep, _dup = pair
    client.force_login(manager_maria)
    client.post(reverse("customers:merge", args=[keep.pk]), {"other_code": "DUP", "confirm": "on"})
    assert Transaction.objects.filter(customer=keep).count() == 2
    assert ContactLog.objects.filter(customer=keep).count() == 1
    assert keep.contacts.count() == 1
    assert keep.referrals_made.count() == 2
    keep.refresh_from_db()
    assert keep.phone == "138"  # empty field filled from the duplicate
    record = CustomerMerge.objects.get()
    assert (record.actor, record.merged_code, record.survivor) == (manager_maria, "DUP", keep)
    assert record.moved["transactions"] == 2
    page = client.get(reverse("customers:detail", args=[keep.pk])).content.decode()
    assert "DUP" in page  # the audit shows on the survivor's page


def test_merge_needs_confirmation_and_a_visible_code(
    client, manager_maria, manager_mike_other_team, pair
):
    keep, _dup = pair
    client.force_login(manager_maria)
    response = client.post(reverse("customers:merge", args=[keep.pk]), {"other_code": "DUP"})
    assert response.status_code == 400
    other = CustomerFactory(owner=None, team=manager_mike_other_team.team, external_code="MIKE")
    response = client.post(
        reverse("customers:merge", args=[keep.pk]), {"other_code": "MIKE", "confirm": "on"}
    )
    assert response.status_code == 400
    assert Customer.objects.filter(pk=other.pk).exists()
    response = client.post(
        reverse("customers:merge", args=[keep.pk]), {"other_code": "KEEP", "confirm": "on"}
    )
    assert response.status_code == 400
    assert not CustomerMerge.objects.exists()


def test_large_upload_runs_in_a_task_and_the_page_polls(client, manager_maria, monkeypatch):
    from customers.views import data

    monkeypatch.setattr(data, "SYNC_IMPORT_MAX_BYTES", 10)
    queued = []  # published jobs, run by hand below (the worker's part)
    monkeypatch.setattr(data, "enqueue", lambda task, **kw: queued.append((task, kw)))
    client.force_login(manager_maria)
    response = client.post(
        reverse("customers:import"),
        {"kind": "customers", "file": _upload("code,name\nM1,甲\nM2,乙\n")},
    )
    assert response.context["pending"]
    token = response.context["token"]
    status_url = reverse("customers:import_status", args=[token, "check"])
    assert status_url in response.content.decode()
    # Before the task ran, the status says "still working" (a fragment that keeps polling).
    waiting = client.get(status_url, HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 2s"' in waiting.content.decode()
    assert [task.name for task, _kw in queued] == ["customers.tasks.customer_import_task"]
    task, kwargs = queued.pop()
    task(**kwargs)  # the worker runs the check
    done = client.get(status_url, HTTP_HX_REQUEST="true")
    assert done.context["report"].to_create == 2
    assert "every 2s" not in done.content.decode()
    assert not Customer.objects.exists()
    client.post(reverse("customers:import"), {"token": token})
    task, kwargs = queued.pop()
    task(**kwargs)
    applied = client.get(reverse("customers:import_status", args=[token, "apply"]))
    assert applied.context["report"].created == 2
    assert Customer.objects.count() == 2


def test_import_status_of_another_session_is_404(client, manager_maria, manager_mike_other_team):
    client.force_login(manager_maria)
    token = client.post(
        reverse("customers:import"), {"kind": "customers", "file": _upload("code,name\nM1,甲\n")}
    ).context["token"]
    client.force_login(manager_mike_other_team)
    assert client.get(reverse("customers:import_status", args=[token, "check"])).status_code == 404
