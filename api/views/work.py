"""Tasks, playbooks, runs and class counts."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.models import Team, User
from customers.models.choices import ContactOutcome
from strategies.models import OPEN_STATUSES, Playbook, TaskStatus
from strategies.selectors.tasks import tasks_visible_to
from strategies.services.tasks import MAX_SNOOZE_DAYS, task_complete, task_snooze

from .. import classes
from ..audit import api_write_log
from ..idempotency import idempotent
from ..permissions import IsCrmAdmin
from ..serializers.base import StrictSerializer
from .common import (
    CURSOR,
    ERRORS,
    IDEMPOTENCY_KEY,
    PAGE_SIZE,
    WRITE_ERRORS,
    cursor,
    id_parameter,
    object_id,
)


class TaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer_code = serializers.CharField(source="customer.external_code")
    customer_name = serializers.CharField(source="customer.name")
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    status = serializers.CharField()
    priority = serializers.IntegerField()
    due_on = serializers.DateField()
    snoozed_until = serializers.DateField(allow_null=True)
    playbook = serializers.CharField(source="step.playbook.code", default=None, allow_null=True)
    instruction = serializers.CharField(source="step.instruction", default="")
    note = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)


TASK_STATUSES = ["open", *TaskStatus.values]


class TaskListView(APIView):
    pagination_class = cursor(("due_on", "id"))

    @extend_schema(
        operation_id="tasks_list",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=TASK_STATUSES,
                description="open (default: open or snoozed) or one status",
            ),
            CURSOR,
            PAGE_SIZE,
        ],
        responses={200: TaskSerializer(many=True), **ERRORS},
        summary="My tasks (任务): those of the customers I own",
    )
    def get(self, request):
        wanted = request.query_params.get("status", "open")
        if wanted not in TASK_STATUSES:
            raise ValidationError({"status": [_("One of: %s.") % ", ".join(TASK_STATUSES)]})
        qs = tasks_visible_to(request.user).filter(customer__owner=request.user)
        qs = qs.filter(status__in=OPEN_STATUSES) if wanted == "open" else qs.filter(status=wanted)
        qs = qs.select_related("customer", "step__playbook")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(TaskSerializer(page, many=True).data)


class TaskCompleteSerializer(StrictSerializer):
    log_contact = serializers.BooleanField(required=False, default=False)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    outcome = serializers.ChoiceField(
        choices=ContactOutcome.choices, required=False, default=ContactOutcome.REACHED
    )


class TaskSnoozeSerializer(StrictSerializer):
    days = serializers.IntegerField(min_value=1, max_value=MAX_SNOOZE_DAYS)


def _task_response(request, task):
    task = (
        tasks_visible_to(request.user).select_related("customer", "step__playbook").get(pk=task.pk)
    )
    return Response(TaskSerializer(task).data)


class TaskCompleteView(APIView):
    @extend_schema(
        operation_id="tasks_complete",
        parameters=[IDEMPOTENCY_KEY, id_parameter("task_id")],
        request=TaskCompleteSerializer,
        responses={200: TaskSerializer, **WRITE_ERRORS},
        summary="Mark a task done (optionally logging the contact)",
    )
    @idempotent
    def post(self, request, task_id: int):
        ser = TaskCompleteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        with transaction.atomic():
            task = task_complete(
                actor=request.user, task_id=object_id(task_id), **ser.validated_data
            )
            api_write_log(request, action="task.complete", object_ref=str(task.pk), updated=1)
        return _task_response(request, task)


class TaskSnoozeView(APIView):
    @extend_schema(
        operation_id="tasks_snooze",
        parameters=[IDEMPOTENCY_KEY, id_parameter("task_id")],
        request=TaskSnoozeSerializer,
        responses={200: TaskSerializer, **WRITE_ERRORS},
        summary="Snooze a task for 1–30 days",
    )
    @idempotent
    def post(self, request, task_id: int):
        ser = TaskSnoozeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        with transaction.atomic():
            task = task_snooze(
                actor=request.user, task_id=object_id(task_id), days=ser.validated_data["days"]
            )
            api_write_log(request, action="task.snooze", object_ref=str(task.pk), updated=1)
        return _task_response(request, task)


class StepSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    kind = serializers.CharField()
    day_offset = serializers.IntegerField()
    instruction_zh = serializers.CharField()
    instruction_en = serializers.CharField()


class PlaybookSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    goal_zh = serializers.CharField()
    goal_en = serializers.CharField()
    dimension = serializers.CharField()
    class_code = serializers.CharField()
    priority = serializers.IntegerField()
    cadence_days = serializers.IntegerField()
    service_level = serializers.CharField()
    steps = StepSerializer(many=True)


def _playbooks():
    return Playbook.objects.filter(active=True).prefetch_related("steps").order_by("code")


class PlaybookListView(APIView):
    @extend_schema(
        operation_id="playbooks_list",
        responses={200: PlaybookSerializer(many=True), **ERRORS},
        summary="Active playbooks (策略手册) with their steps",
    )
    def get(self, request):
        return Response(PlaybookSerializer(_playbooks(), many=True).data)


class PlaybookDetailView(APIView):
    @extend_schema(
        operation_id="playbooks_get",
        parameters=[id_parameter("playbook_id")],
        responses={200: PlaybookSerializer, **ERRORS},
        summary="One playbook",
    )
    def get(self, request, playbook_id: int):
        playbook = _playbooks().filter(pk=object_id(playbook_id)).first()
        if playbook is None:
            raise NotFound()
        return Response(PlaybookSerializer(playbook).data)


class RunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    as_of = serializers.DateField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    is_current = serializers.BooleanField()
    phase = serializers.CharField()
    progress_pct = serializers.IntegerField()
    customers_total = serializers.IntegerField()
    changes_total = serializers.IntegerField()
    triggered_by = serializers.CharField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField()


class RunStartSerializer(StrictSerializer):
    as_of = serializers.DateField(required=False, help_text="Default: today")

    def validate_as_of(self, value: dt.date) -> dt.date:
        if value > timezone.localdate():
            raise serializers.ValidationError(_("A run cannot be as of a future date."))
        return value


class RunListView(APIView):
    def get_permissions(self):
        if self.request.method == "POST":
            return [IsCrmAdmin()]
        return super().get_permissions()

    @extend_schema(
        operation_id="runs_list",
        responses={200: RunSerializer(many=True), **ERRORS},
        summary="The latest classification runs (分类运行)",
    )
    def get(self, request):
        return Response([classes.run_as_dict(r) for r in classes.runs_list()[:30]])

    @extend_schema(
        operation_id="runs_start",
        request=RunStartSerializer,
        responses={202: RunSerializer, **WRITE_ERRORS},
        summary="Start a run now (admins only)",
        description="Not Idempotency-Key based: a run is unique per as_of date already, and "
        "a second start while one is running is refused (409).",
    )
    def post(self, request):
        ser = RunStartSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        as_of = ser.validated_data.get("as_of") or timezone.localdate()
        try:
            run = classes.run_start(as_of=as_of, actor_username=request.user.username)
        except classes.RunStartRefused as exc:
            return Response({"detail": str(exc)}, status=409)
        api_write_log(request, action="run.start", object_ref=str(run.pk))
        return Response(classes.run_as_dict(run), status=202)


class RunDetailView(APIView):
    @extend_schema(
        operation_id="runs_get",
        parameters=[id_parameter("run_id")],
        responses={200: RunSerializer, **ERRORS},
        summary="One run",
    )
    def get(self, request, run_id: int):
        run = classes.run_get(object_id(run_id))
        if run is None:
            raise NotFound()
        return Response(classes.run_as_dict(run))


class ClassCountsView(APIView):
    @extend_schema(
        operation_id="class_counts",
        parameters=[
            OpenApiParameter(
                "dimension",
                str,
                # The enum lists the dimensions written in code; a dimension an admin defines
                # (custom_<code>) is added at runtime and accepted too, as the text says.
                enum=list(classes.builtin_dimensions()),
                description=(
                    "A dimension key (default lifecycle), or custom_<code> for a dimension "
                    "an admin defined"
                ),
            )
        ],
        responses={
            200: inline_serializer(
                "ClassCounts",
                {
                    "run": serializers.DictField(allow_null=True),
                    "dimension": serializers.CharField(),
                    "teams": serializers.ListField(child=serializers.DictField()),
                },
            ),
            **ERRORS,
        },
        summary="Customers per class, per team and rep (current run)",
    )
    def get(self, request):
        user = request.user
        dimension = request.query_params.get("dimension", "lifecycle")
        if dimension not in classes.dimensions():
            raise ValidationError({"dimension": [_("Unknown dimension.")]})
        if user.sees_all_teams:
            team_ids, owner_id = None, None
        elif user.is_manager:
            team_ids, owner_id = ([user.team_id] if user.team_id else []), None
        else:
            team_ids, owner_id = None, user.pk
        run, rows = classes.class_counts(dimension=dimension, team_ids=team_ids, owner_id=owner_id)
        team_names = dict(
            Team.objects.filter(pk__in={r["team_id"] for r in rows}).values_list("pk", "name")
        )
        usernames = dict(
            User.objects.filter(pk__in={r["owner_id"] for r in rows}).values_list("pk", "username")
        )
        teams: dict = {}
        for r in rows:
            team = teams.setdefault(
                r["team_id"],
                {
                    "team_id": r["team_id"],
                    "team": team_names.get(r["team_id"]),
                    "classes": {},
                    "reps": {},
                },
            )
            team["classes"][r["code"]] = team["classes"].get(r["code"], 0) + r["customers"]
            rep = team["reps"].setdefault(
                r["owner_id"],
                {
                    "owner_id": r["owner_id"],
                    "username": usernames.get(r["owner_id"]),
                    "classes": {},
                },
            )
            rep["classes"][r["code"]] = r["customers"]
        out = [{**t, "reps": list(t["reps"].values())} for t in teams.values()]
        return Response(
            {
                "run": {"id": run.pk, "as_of": run.as_of.isoformat()} if run else None,
                "dimension": dimension,
                "teams": out,
            }
        )
