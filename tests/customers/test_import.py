"""Import: every bad-input case of the issue, idempotency, encodings, XLSX, access."""

import datetime as dt
import tracemalloc
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from customers.importing import run_import
from customers.models import ContactLog, Customer, Transaction
from customers.services import customer_merge
from tests.customers.factories import CustomerFactory, TransactionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def write(tmp_path):
    def _write(text: str, name: str = "data.csv", encoding: str = "utf-8"):
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return _write


def _problems(report):
    return [(p.row, p.column, p.value, p.reason) for p in report.problems]


# ---------------------------------------------------------------- happy paths


def test_minimal_customers_file_creates_and_reimport_changes_nothing(write):
    path = write("code,name\nC1,甲公司\nC2,乙公司\n")
    first = run_import(kind="customers", path=path)
    assert (first.created, first.updated, first.written) == (2, 0, True)
    stamp = Customer.objects.get(external_code="C1").updated_at
    again = run_import(kind="customers", path=path)
    assert (again.created, again.updated) == (0, 0)
    assert Customer.objects.count() == 2
    assert Customer.objects.get(external_code="C1").updated_at == stamp


def test_update_changes_only_filled_cells(write):
    CustomerFactory(external_code="C1", name="旧名", phone="111", city="上海")
    report = run_import(kind="customers", path=write("code,name,city\nC1,新名,\n"))
    assert report.updated == 1
    c = Customer.objects.get(external_code="C1")
    assert (c.name, c.phone, c.city) == ("新名", "111", "上海")


def test_chinese_headers_and_labels(write):
    from django.utils import translation

    from customers.models import CompanySize, Industry

    with translation.override("zh-hans"):
        industry, size = str(Industry.RETAIL.label), str(CompanySize.LARGE.label)
    path = write(f"客户编号,客户名称,行业,规模,电话\nC9,丙公司,{industry},{size},021-1\n")
    report = run_import(kind="customers", path=path)
    assert report.problems == []
    c = Customer.objects.get(external_code="C9")
    assert (c.industry, c.size, c.phone) == ("retail", "large", "021-1")


def test_minimal_transactions_and_idempotent_reimport_without_codes(write):
    CustomerFactory(external_code="C1")
    path = write(
        "customer_code,date,amount\nC1,2026-01-05,100\nC1,2026-01-05,100\nC1,2026-02-01,5.5\n"
    )
    first = run_import(kind="transactions", path=path)
    assert first.created == 3  # two identical orders on one day are two orders
    again = run_import(kind="transactions", path=path)
    assert (again.created, again.updated) == (0, 0)
    assert Transaction.objects.count() == 3
    assert sorted(Transaction.objects.values_list("amount", flat=True)) == [
        Decimal("5.50"),
        Decimal("100.00"),
        Decimal("100.00"),
    ]


def test_create_customers_option(write):
    path = write("customer_code,date,amount\nNEW1,2026-01-05,100\n")
    refused = run_import(kind="transactions", path=path)
    assert not refused.written
    assert _problems(refused)[0][:3] == (2, "customer_code", "NEW1")
    report = run_import(kind="transactions", path=path, create_customers=True)
    assert report.customers_created == 1
    assert Transaction.objects.get().customer.external_code == "NEW1"


def test_contact_logs_and_contacts(write):
    CustomerFactory(external_code="C1")
    from django.utils import translation

    from customers.models import DecisionRole

    with translation.override("zh-hans"):
        role = str(DecisionRole.DECISION_MAKER.label)
    contacts = write(f"客户编号,联系人,角色\nC1,王总,{role}\n", "contacts.csv")
    assert run_import(kind="contacts", path=contacts).created == 1
    logs = write(
        "customer_code,occurred_at,summary,channel,next_follow_up\n"
        "C1,2026-01-05 14:30,谈价格,visit,2026-02-01\n",
        "logs.csv",
    )
    report = run_import(kind="contact_logs", path=logs)
    assert report.created == 1
    log = ContactLog.objects.get()
    assert (log.channel, log.next_follow_up) == ("visit", dt.date(2026, 2, 1))
    assert run_import(kind="contact_logs", path=logs).created == 0


# ---------------------------------------------------------------- bad input


def test_missing_headers(write):
    report = run_import(kind="transactions", path=write("customer_code,amount\nC1,5\n"))
    assert "date" in report.file_error
    assert not report.written


def test_wrong_headers(write):
    report = run_import(kind="customers", path=write("foo,bar\n1,2\n"))
    assert "code" in report.file_error
    assert "name" in report.file_error
    assert "foo" in report.file_error  # says what the file has


def test_duplicate_meaning_columns(write):
    report = run_import(kind="customers", path=write("code,客户编号,name\n1,2,x\n"))
    assert report.file_error


def test_unknown_columns_are_reported_and_ignored(write):
    report = run_import(kind="customers", path=write("code,name,colour\nC1,x,red\n"))
    assert report.ignored_columns == ["colour"]
    assert report.created == 1


@pytest.mark.parametrize(
    ("amount", "reason"),
    [("-3", "must not be negative"), ("abc", "not a number"), ("1.234", "at most 2 decimal")],
)
def test_bad_amounts(write, amount, reason, settings):
    settings.LANGUAGE_CODE = "en"
    CustomerFactory(external_code="C1")
    from django.utils import translation

    with translation.override("en"):
        report = run_import(
            kind="transactions", path=write(f"customer_code,date,amount\nC1,2026-01-05,{amount}\n")
        )
    ((row, column, value, why),) = _problems(report)
    assert (row, column, value) == (2, "amount", amount)
    assert reason in why
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("date", ["2026-02-30", "2026-13-01", "yesterday", "1066-10-14"])
def test_impossible_dates(write, date):
    CustomerFactory(external_code="C1")
    report = run_import(
        kind="transactions", path=write(f"customer_code,date,amount\nC1,{date},1\n")
    )
    assert _problems(report)[0][:3] == (2, "date", date)
    assert not Transaction.objects.exists()


def test_due_date_before_order_date(write):
    CustomerFactory(external_code="C1")
    report = run_import(
        kind="transactions",
        path=write("customer_code,date,amount,due_date\nC1,2026-03-01,1,2026-02-01\n"),
    )
    assert _problems(report)[0][1] == "due_date"


def test_duplicate_codes_within_file(write):
    report = run_import(kind="customers", path=write("code,name\nC1,a\nC2,b\nC1,c\n"))
    ((row, column, value, reason),) = _problems(report)
    assert (row, column, value) == (4, "code", "C1")
    assert "2" in reason  # points at the first occurrence
    assert not Customer.objects.exists()


def test_nothing_written_while_any_row_is_invalid(write):
    CustomerFactory(external_code="C1")
    report = run_import(
        kind="transactions",
        path=write(
            "customer_code,date,amount\nC1,2026-01-05,1\nC1,2026-01-06,x\nC1,2026-01-07,2\n"
        ),
    )
    assert (report.valid, report.invalid, report.written) == (2, 1, False)
    assert not Transaction.objects.exists()


def test_skip_invalid_writes_valid_rows_and_keeps_skipped_ones(write, tmp_path):
    CustomerFactory(external_code="C1")
    skipped = tmp_path / "skipped.csv"
    report = run_import(
        kind="transactions",
        path=write("customer_code,date,amount\nC1,2026-01-05,1\nXX,2026-01-06,-1\n"),
        skip_invalid=True,
        skipped_path=skipped,
    )
    assert report.created == 1
    text = skipped.read_text(encoding="utf-8-sig")
    assert "XX" in text
    assert "amount" in text
    assert "customer_code" in text  # both problems of the row are listed


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"  \n\n"])
def test_empty_file(write, tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    report = run_import(kind="customers", path=path)
    assert report.file_error
    assert not report.written


def test_header_only_file(write):
    report = run_import(kind="customers", path=write("code,name\n"))
    assert report.file_error


def test_huge_cell_is_refused_with_its_row(write):
    report = run_import(kind="customers", path=write("code,name\nC1,a\nC2," + "x" * 200_000 + "\n"))
    assert report.file_error
    assert "3" in report.file_error
    assert not Customer.objects.exists()


def test_too_long_for_field(write):
    report = run_import(kind="customers", path=write("code,name\nC1," + "长" * 201 + "\n"))
    row, column, _value, reason = _problems(report)[0]
    assert (row, column) == (2, "name")
    assert "201" in reason


def test_binary_file_renamed_csv(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 10)
    report = run_import(kind="customers", path=path)
    assert report.file_error
    assert not Customer.objects.exists()


def test_old_xls_file(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    assert ".xls" in run_import(kind="customers", path=path).file_error


def test_broken_xlsx(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04garbage")
    assert run_import(kind="customers", path=path).file_error


def test_row_with_extra_cells(write):
    report = run_import(kind="customers", path=write("code,name\nC1,a,surprise\n"))
    assert report.invalid == 1


# ---------------------------------------------------------------- encodings and formats


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_encodings(write, encoding):
    path = write("客户编号,客户名称\nC1,华东精密\n", encoding=encoding)
    report = run_import(kind="customers", path=path)
    assert report.file_error is None
    assert Customer.objects.get(external_code="C1").name == "华东精密"


def test_semicolon_separated(write):
    assert run_import(kind="customers", path=write("code;name\nC1;a\n")).created == 1


def test_xlsx(tmp_path):
    from openpyxl import Workbook

    CustomerFactory(external_code="C1")
    wb = Workbook()
    ws = wb.active
    ws.append(["客户编号", "订单日期", "金额", "订单号"])
    ws.append(["C1", dt.datetime(2026, 1, 5), 1234.5, 77])  # noqa: DTZ001 - Excel has no zones
    ws.append(["C1", "2026-02-30", 10, 78])
    path = tmp_path / "orders.xlsx"
    wb.save(path)
    report = run_import(kind="transactions", path=path, skip_invalid=True)
    assert _problems(report)[0][:2] == (3, "date")
    txn = Transaction.objects.get()
    assert (txn.date, txn.amount, txn.external_code) == (
        dt.date(2026, 1, 5),
        Decimal("1234.50"),
        "77",
    )


def test_50_mb_file_is_streamed(tmp_path):
    """A 50 MB file is read in pieces: peak Python memory stays far below the file size."""
    path = tmp_path / "big.csv"
    note = "备注" * 2_500  # 5,000 characters, 15,000 bytes in UTF-8
    with path.open("w", encoding="utf-8") as fh:
        fh.write("code,name,notes\n")
        i = 0
        while fh.tell() < 50_000_000:
            fh.write(f"C{i},客户{i},{note}\n")
            i += 1
    tracemalloc.start()
    try:
        report = run_import(kind="customers", path=path, dry_run=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.file_error is None
    assert report.valid == i
    assert peak < 30_000_000, f"peak {peak / 1e6:.0f} MB"
    assert not Customer.objects.exists()  # a dry run writes nothing


# ---------------------------------------------------------------- access and merges


def test_manager_cannot_import_into_another_teams_customer(
    write, manager_maria, rep_bob_other_team
):
    CustomerFactory(external_code="BOB1", owner=rep_bob_other_team, name="鲍勃的")
    report = run_import(
        kind="transactions",
        path=write("customer_code,date,amount\nBOB1,2026-01-05,1\n"),
        actor=manager_maria,
    )
    assert _problems(report)[0][1] == "customer_code"
    assert "unknown" in report.problems[0].reason or report.problems[0].reason
    customers = run_import(
        kind="customers", path=write("code,name\nBOB1,改掉\n"), actor=manager_maria
    )
    assert customers.invalid == 1
    assert Customer.objects.get(external_code="BOB1").name == "鲍勃的"


def test_manager_import_creates_customers_in_their_team(write, manager_maria):
    run_import(kind="customers", path=write("code,name\nM1,新\n"), actor=manager_maria)
    assert Customer.objects.get(external_code="M1").team == manager_maria.team


def test_owner_column_scoped_to_managers_team(write, manager_maria, rep_amy, rep_bob_other_team):
    report = run_import(
        kind="customers",
        path=write(
            f"code,name,owner\nM1,a,{rep_amy.username}\nM2,b,{rep_bob_other_team.username}\n"
        ),
        actor=manager_maria,
    )
    assert _problems(report) == [(3, "owner", rep_bob_other_team.username, "未知的用户名")] or (
        report.invalid == 1 and report.problems[0].column == "owner"
    )


def test_merged_code_reaches_the_survivor(write, manager_maria, rep_alice):
    survivor = CustomerFactory(owner=rep_alice, external_code="KEEP")
    merged = CustomerFactory(owner=rep_alice, external_code="OLD")
    customer_merge(actor=manager_maria, survivor=survivor, merged=merged)
    report = run_import(
        kind="transactions", path=write("customer_code,date,amount\nOLD,2026-01-05,1\n")
    )
    assert report.created == 1
    assert Transaction.objects.get().customer == survivor


def test_order_code_of_invisible_customer_is_refused(
    write, manager_maria, rep_alice, rep_bob_other_team
):
    CustomerFactory(owner=rep_alice, external_code="A1")
    TransactionFactory(customer=CustomerFactory(owner=rep_bob_other_team), external_code="T1")
    report = run_import(
        kind="transactions",
        path=write("customer_code,code,date,amount\nA1,T1,2026-01-05,1\n"),
        actor=manager_maria,
    )
    assert report.invalid == 1
    assert Transaction.objects.get(external_code="T1").customer.owner == rep_bob_other_team


def test_duplicate_warning_on_customer_import(write, rep_alice):
    CustomerFactory(owner=rep_alice, external_code="A1", name="同名公司")
    report = run_import(kind="customers", path=write("code,name\nA2,同名公司\n"), dry_run=True)
    assert report.warnings
    assert "A1" in report.warnings[0]


# ---------------------------------------------------------------- command


def test_command_dry_run_and_write(write, capsys):
    path = write("code,name\nC1,a\n")
    call_command("import_data", "customers", str(path), "--dry-run")
    assert not Customer.objects.exists()
    call_command("import_data", "customers", str(path))
    assert Customer.objects.count() == 1


def test_command_fails_on_invalid_rows(write):
    with pytest.raises(CommandError):
        call_command("import_data", "customers", str(write("code,name\nC1,\n")))
    assert not Customer.objects.exists()


def test_command_file_error(write, tmp_path):
    with pytest.raises(CommandError):
        call_command("import_data", "customers", str(tmp_path / "missing.csv"))
