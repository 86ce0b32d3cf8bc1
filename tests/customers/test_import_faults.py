"""The database connection drops in the middle of an import: nothing half-imported stays, the
page says the import failed, and running it again imports every row exactly once.

The connection is terminated from another connection (pg_terminate_backend) at a fixed point:
after the import has written the new customers and before it writes the orders."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from customers.models import Customer, Transaction
from tests.customers.factories import CustomerFactory

pytestmark = [pytest.mark.needs_postgres, pytest.mark.django_db(transaction=True)]

ORDERS = 40
NEW_CODES = ["DROP-N1", "DROP-N2", "DROP-N3"]


def _file() -> SimpleUploadedFile:
    codes = ["DROP-K1", *NEW_CODES]
    lines = ["code,customer_code,date,amount"]
    for i in range(ORDERS):
        lines.append(f"DROP-O{i:03d},{codes[i % len(codes)]},2026-0{1 + i % 9}-1{i % 10},{100 + i}")
    return SimpleUploadedFile(
        "orders.csv", ("\n".join(lines) + "\n").encode(), content_type="text/csv"
    )


def _terminate_own_backend() -> int:
    """Kills this test's database session from a second connection, as a network cut or a
    restarted database server would."""
    import psycopg2

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    other = psycopg2.connect(**connection.get_connection_params())
    try:
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone()[0] is True
    finally:
        other.close()
    return pid


def test_dropped_connection_mid_import_leaves_nothing_and_a_rerun_imports_once(
    client, admin_ada, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    CustomerFactory(external_code="DROP-K1")
    client.force_login(admin_ada)
    url = reverse("customers:import")
    check = client.post(url, {"kind": "transactions", "file": _file(), "create_customers": "on"})
    assert check.status_code == 200
    assert (check.context["report"].to_create, check.context["report"].customers_to_create) == (
        ORDERS,
        len(NEW_CODES),
    )
    token = check.context["token"]

    from customers.importing import writers

    real = writers.create_missing_customers
    killed = []

    def customers_then_drop(**kwargs):
        created = real(**kwargs)
        assert created == len(NEW_CODES)
        killed.append(_terminate_own_backend())
        return created

    monkeypatch.setattr(writers, "create_missing_customers", customers_then_drop)
    failed = client.post(url, {"token": token})

    assert killed, "the connection was not dropped"
    assert failed.status_code == 503
    html = failed.content.decode()
    assert "失败" in html
    assert "导入时数据库出错" in html
    assert "重试" in html
    report = failed.context["report"]
    assert report.failed
    assert not report.written
    assert report.created == 0
    # Nothing of the file stayed: neither the orders nor the customers written before the drop.
    assert not Transaction.objects.exists()
    assert not Customer.objects.filter(external_code__in=NEW_CODES).exists()
    assert Customer.objects.count() == 1

    monkeypatch.setattr(writers, "create_missing_customers", real)
    again = client.post(url, {"token": token, "step": "apply"})  # the "Try again" button
    assert again.status_code == 200
    assert (again.context["report"].created, again.context["report"].customers_created) == (
        ORDERS,
        len(NEW_CODES),
    )
    once_more = client.post(url, {"token": token})
    assert (once_more.context["report"].created, once_more.context["report"].updated) == (0, 0)
    assert Transaction.objects.count() == ORDERS
    assert Customer.objects.filter(external_code__in=NEW_CODES).count() == len(NEW_CODES)


def test_the_background_import_job_reports_failure_instead_of_leaving_the_page_waiting(
    tmp_path, manager_maria, monkeypatch
):
    """A job that dies for any other reason still stores a failed report for the page."""
    from customers.tasks import customer_import_task, import_report_load

    path = tmp_path / "c.csv"
    path.write_text("code,name\nJ1,甲\n", encoding="utf-8")

    def boom(**kwargs):
        raise MemoryError

    monkeypatch.setattr("customers.importing.run_import", boom)
    with pytest.raises(MemoryError):
        customer_import_task(
            token="boom", step="apply", kind="customers", path=str(path),
            actor_id=manager_maria.pk, create_customers=False,
        )  # fmt: skip
    report = import_report_load("boom", "apply")
    assert "MemoryError" in report.failed
    assert not report.written
    assert not Customer.objects.exists()
