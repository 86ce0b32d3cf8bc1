""" "Anonymise customer" leaves no trace: after it, the old name, phone, e-mail (and the
contacts' details) occur nowhere — in no text column of any model, in no pending upload under
MEDIA_ROOT, in no cached import report, in no session — while the audit rows that mentioned
them (export log, import log, admin log) stay with who, when and how many."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from django.apps import apps
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from customers.importing import run_import
from customers.importing.report import ImportReport, Problem
from customers.models import CustomerAnonymisation, ExportLog, ImportLog, ServiceCase
from customers.services import customer_anonymise
from customers.tasks import import_report_load, import_report_store
from tests.crm.test_audit_trail import admin_form_data
from tests.customers.factories import (
    ContactFactory,
    ContactLogFactory,
    CustomerFactory,
    ReferralFactory,
    ServiceCaseFactory,
)
from tests.segmentation.factories import ClassPinFactory
from tests.strategies.factories import TaskFactory

pytestmark = pytest.mark.django_db

NAME = "甄士隐贸易有限公司"
PHONE = "13987654321"
EMAIL = "zhen.shiyin@example.org"
TAX = "91310000MA1XYZ7788"
C_NAME, C_PHONE, C_EMAIL, C_WECHAT = "甄英莲", "13711223344", "yinglian@example.org", "ylwx_2088"
C2_NAME = "封氏夫人"  # a contact added in admin: the admin log's change message names it
SECRETS = (NAME, PHONE, EMAIL, TAX, C_NAME, C_PHONE, C_EMAIL, C_WECHAT, C2_NAME)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _forms(secret: str) -> set[str]:
    """How a value may be stored: as is, escaped in JSON, percent-encoded in a query."""
    return {
        secret,
        secret.lower(),
        json.dumps(secret)[1:-1],
        quote_plus(secret),
        quote(secret),
    }


def _database_text() -> str:
    """Every column of every row of every model (historical and auto-created ones too)."""
    parts = []
    for model in apps.get_models(include_auto_created=True):
        names = [f.attname for f in model._meta.concrete_fields]
        for row in model._base_manager.values_list(*names):
            parts.append(repr(row))
    for session in Session.objects.all():
        parts.append(repr(session.get_decoded()))
    return "\n".join(parts)


def _media_text(root: Path) -> str:
    parts = []
    for folder, _dirs, files in os.walk(root):
        for name in files:
            parts.append(name)
            parts.append((Path(folder) / name).read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(parts)


def _traces(text: str) -> list[str]:
    return [s for s in SECRETS if any(form in text for form in _forms(s))]


def _upload(client, text: str, name: str) -> str:
    client.post(
        reverse("customers:import"),
        {
            "kind": "customers",
            "file": SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv"),
        },
    )
    return list(client.session["customer_imports"])[-1]


def _export(client, **params) -> None:
    response = client.get(reverse("customers:export", args=["csv"]), params)
    b"".join(response.streaming_content)


@pytest.fixture
def customer(rep_alice, rep_amy):
    customer = CustomerFactory(
        owner=rep_alice,
        name=NAME,
        phone=PHONE,
        email=EMAIL,
        tax_number=TAX,
        address="苏州阊门外十里街",
        notes="仁清巷",
    )
    ContactFactory(customer=customer, name=C_NAME, phone=C_PHONE, email=C_EMAIL, wechat=C_WECHAT)
    ContactLogFactory(customer=customer, summary=f"和{C_NAME}通话")
    ServiceCaseFactory(customer=customer, subject=f"{C_NAME}投诉", description="…")
    ClassPinFactory(customer=customer, reason=f"{C_NAME}是老朋友", created_by=rep_alice)
    TaskFactory(customer=customer, note=f"给{C_NAME}打电话")
    # Ownership history (no personal data in it, but it must stay that way).
    customer.owner, customer.team = rep_amy, rep_amy.team
    customer.save()
    return customer


@pytest.fixture
def traces_everywhere(client, tmp_path, customer, rep_alice, manager_maria, admin_ada):
    """The customer's details spread where a CRM keeps them by the way."""
    # Searches and exports: the export log keeps each filter.
    client.force_login(manager_maria)
    _export(client, q=NAME)
    _export(client, q=PHONE)
    _export(client, q=C_EMAIL.upper(), industry="manufacturing")
    _export(client, q="另一个客户")
    # Pending uploads: one holds the customer's row (and a cached report quotes it), one not.
    # (The session names an upload by its file name: here, the contact's.)
    row = f"code,name,phone\n{customer.external_code},{NAME},{PHONE}\n"
    held = _upload(client, row, f"{C_NAME}.csv")
    import_report_store(
        held,
        "check",
        ImportReport(
            kind="customers",
            dry_run=True,
            problems=[Problem(row=2, column="phone", value=PHONE, reason="x")],
        ),
    )
    other = _upload(client, "code,name\nZZ1,另一个客户\n", "other.csv")
    # An applied import (the command) of a file named after the customer.
    path = tmp_path / f"{NAME}.csv"
    path.write_text(f"code,name\n{customer.external_code},{NAME}\n", encoding="utf-8")
    run_import(kind="customers", path=path)
    # The admin log: a contact added on the customer's admin form names it. (Another
    # browser: the manager's session, which names the upload, stays.)
    client = Client()
    client.force_login(admin_ada)
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    data = admin_form_data(client.get(url).text)
    data["contacts-TOTAL_FORMS"] = ["2"]
    data.update({"contacts-1-name": [C2_NAME], "contacts-1-role": ["user"]})
    assert client.post(url, data).status_code == 302
    case = ServiceCase.objects.get(customer=customer)
    LogEntry.objects.create(
        user=admin_ada,
        content_type=ContentType.objects.get_for_model(ServiceCase),
        object_id=str(case.pk),
        object_repr=str(case),
        action_flag=ADDITION,
    )
    # Someone recommended the customer before it was one: its name typed by hand.
    ReferralFactory(referred=customer, referred_name=NAME)
    return {"held": held, "other": other}


def test_anonymise_leaves_no_trace_anywhere(
    settings, client, admin_ada, customer, traces_everywhere
):
    exports_before = list(ExportLog.objects.order_by("pk").values_list("pk", "user_id", "rows"))
    imports_before = list(ImportLog.objects.values_list("pk", "rows", "created", "updated"))
    admin_log_before = LogEntry.objects.count()
    assert set(_traces(_database_text())) == set(SECRETS)  # the fixture spread them all
    assert PHONE in _media_text(Path(settings.MEDIA_ROOT))

    record = customer_anonymise(
        actor=admin_ada, customer=customer, reason=f"PIPL request of {NAME}, call {PHONE}"
    )

    assert _traces(_database_text()) == []
    assert _traces(_media_text(Path(settings.MEDIA_ROOT))) == []
    assert import_report_load(traces_everywhere["held"], "check") is None
    # The audit stays: the same rows, with who, when and how many.
    exports_after = list(ExportLog.objects.order_by("pk").values_list("pk", "user_id", "rows"))
    assert exports_after == exports_before
    assert list(ImportLog.objects.values_list("pk", "rows", "created", "updated")) == (
        imports_before
    )
    assert LogEntry.objects.count() == admin_log_before
    queries = list(ExportLog.objects.order_by("pk").values_list("query", flat=True))
    assert queries[2].endswith("&industry=manufacturing")  # other filters are kept
    assert queries[3] == "q=" + quote_plus("另一个客户")  # unrelated searches untouched
    assert record.erased["export_logs"] == 3
    assert record.erased["pending_uploads"] == 1
    assert record.reason.startswith("PIPL request of ")
    # The unrelated upload is still waiting for its import.
    folders = {p.name for p in (Path(settings.MEDIA_ROOT) / "imports").iterdir()}
    assert folders == {traces_everywhere["other"]}
    assert CustomerAnonymisation.objects.get().customer_id == customer.pk


def test_anonymise_scrubs_an_xlsx_upload_too(settings, client, manager_maria, admin_ada, customer):
    import io

    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["code", "name", "email"])
    wb.active.append([customer.external_code, "甄 & 英莲", C_EMAIL])
    buffer = io.BytesIO()
    wb.save(buffer)
    client.force_login(manager_maria)
    client.post(
        reverse("customers:import"),
        {"kind": "customers", "file": SimpleUploadedFile("c.xlsx", buffer.getvalue())},
    )
    root = Path(settings.MEDIA_ROOT) / "imports"
    assert len(list(root.iterdir())) == 1
    customer_anonymise(actor=admin_ada, customer=customer, reason="request")
    assert list(root.iterdir()) == []


def test_export_command_log_is_scrubbed_as_plain_text(tmp_path, admin_ada, customer):
    out = tmp_path / f"{NAME}.csv"
    call_command("export_data", "customers", "--out", str(out), "--masked")
    customer_anonymise(actor=admin_ada, customer=customer, reason="request")
    log = ExportLog.objects.get()
    assert NAME not in log.query
    assert log.query.startswith("customers --out ")
    assert log.query.endswith(".csv --masked")


def test_short_values_are_not_searched_for(client, manager_maria, admin_ada, rep_alice):
    """A contact called "Li" would match half the export log: values shorter than four Latin
    (or two Chinese) characters are not hunted elsewhere."""
    customer = CustomerFactory(owner=rep_alice, name="Li")
    client.force_login(manager_maria)
    _export(client, q="Lisa")
    customer_anonymise(actor=admin_ada, customer=customer, reason="request")
    assert ExportLog.objects.get().query == "q=Lisa"
