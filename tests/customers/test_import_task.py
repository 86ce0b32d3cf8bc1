"""The import task: eager in tests, and on a real worker through Redis in CI."""

import pytest

from customers.models import Customer
from customers.tasks import customer_import_task, import_report_load


def _file(tmp_path, text="code,name\nW1,工人\nW2,任务\n"):
    path = tmp_path / "w.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.django_db
def test_task_checks_then_imports_and_stores_reports(tmp_path, manager_maria):
    path = _file(tmp_path)
    args = {"kind": "customers", "path": path, "actor_id": manager_maria.pk}
    customer_import_task.delay(token="t1", step="check", create_customers=False, **args)
    assert import_report_load("t1", "check").to_create == 2
    assert import_report_load("t1", "apply") is None
    assert not Customer.objects.exists()
    customer_import_task.delay(token="t1", step="apply", create_customers=False, **args)
    assert import_report_load("t1", "apply").created == 2
    # Redelivery (acks_late) is harmless: the same file writes nothing the second time.
    customer_import_task.delay(token="t1", step="apply", create_customers=False, **args)
    assert import_report_load("t1", "apply").created == 0
    assert Customer.objects.count() == 2


@pytest.mark.needs_worker
@pytest.mark.django_db(transaction=True)
def test_import_on_a_real_worker(celery_worker_process, tmp_path, manager_maria):
    path = _file(tmp_path)
    result = customer_import_task.apply_async(
        kwargs={
            "token": "real",
            "step": "apply",
            "kind": "customers",
            "path": path,
            "actor_id": manager_maria.pk,
            "create_customers": False,
        }
    )
    result.get(timeout=120)
    assert import_report_load("real", "apply").created == 2
    assert set(Customer.objects.values_list("team", flat=True)) == {manager_maria.team_id}
