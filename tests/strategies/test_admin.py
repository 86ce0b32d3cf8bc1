import pytest
from django.urls import reverse

from strategies.forms import PlaybookAdminForm
from strategies.models import Playbook

pytestmark = pytest.mark.django_db

VALID = {
    "code": "vip-extra",
    "name_zh": "测试",
    "name_en": "Test",
    "goal_zh": "目标",
    "goal_en": "Goal",
    "priority": 50,
    "cadence_days": 14,
    "service_level": "priority",
    "target": "value_tier:core",
}


def test_admin_form_saves_dimension_and_class_codes():
    form = PlaybookAdminForm(data=VALID)
    assert form.is_valid(), form.errors
    pb = form.save()
    assert (pb.dimension, pb.class_code) == ("value_tier", "core")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target": "lifecycle:bogus"}, "target"),
        ({"target": "lifecycle:unclassified"}, "target"),
        ({"target": "nodim:core"}, "target"),
        ({"release_after_days": 10}, "release_after_days"),
        ({"cadence_days": ""}, "cadence_days"),
    ],
)
def test_admin_form_rejects_bad_input_with_the_field_named(changes, field):
    form = PlaybookAdminForm(data={**VALID, **changes})
    assert not form.is_valid()
    assert field in form.errors
    assert not Playbook.objects.filter(code="vip-extra").exists()


@pytest.mark.parametrize(
    "model", ["playbook", "task", "enrollment", "poolevent", "strategysettings"]
)
def test_admin_changelists_load(client, admin_ada, model):
    client.force_login(admin_ada)
    assert client.get(reverse(f"admin:strategies_{model}_changelist")).status_code == 200


def test_admin_playbook_change_page_with_step_inline(client, admin_ada):
    client.force_login(admin_ada)
    pb = Playbook.objects.get(code="value-core")
    html = client.get(reverse("admin:strategies_playbook_change", args=[pb.pk])).content.decode()
    assert "value_tier:core" in html
    assert "steps-TOTAL_FORMS" in html
