"""Admin speaks Chinese: login protection (django-axes), history models, run phases."""

import re

import pytest
from django.urls import reverse

from segmentation.admin import RUN_PHASE_LABELS, RunAdmin

pytestmark = pytest.mark.django_db


def test_admin_index_has_no_untranslated_axes_or_history_names(client, admin_ada):
    client.force_login(admin_ada)
    page = client.get(reverse("admin:index"), headers={"accept-language": "zh-hans"}).text
    body = re.sub(r"<[^>]+>", " ", page)  # the words shown, not the URLs
    assert "登录保护" in body
    assert "登录尝试" in body
    for untranslated in ("Axes", "AXES", "Access attempts", "Historical", "historical"):
        assert untranslated not in body, untranslated


def test_run_phase_is_shown_in_words(settings):
    from django.utils import translation

    admin = RunAdmin.__new__(RunAdmin)

    class FakeRun:
        phase = "done"

    with translation.override("zh-hans"):
        assert admin.phase_label(FakeRun()) == "已完成"
    with translation.override("en"):
        assert admin.phase_label(FakeRun()) == "done"
    FakeRun.phase = "some_new_phase"
    assert admin.phase_label(FakeRun()) == "some_new_phase"
    assert set(RUN_PHASE_LABELS) >= {"claimed", "metrics", "classify", "aggregates", "done"}


def test_playbook_admin_step_boxes_are_small(client, admin_ada):
    from strategies.models import Playbook

    playbook = Playbook.objects.first()
    client.force_login(admin_ada)
    body = client.get(reverse("admin:strategies_playbook_change", args=[playbook.pk])).text
    assert 'name="steps-0-instruction_zh" cols="32" rows="3"' in body
