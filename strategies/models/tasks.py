"""Enrollments (a customer follows a playbook) and the dated tasks they put on the owner's list."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from .playbooks import Playbook, PlaybookStep, StepKind


class EnrollmentReason(models.TextChoices):
    ENTERED = "entered", _("Entered the class in a classification run")
    PIN = "pin", _("Class pinned by hand")
    BACKFILL = "backfill", _("In the class when the playbook was introduced")


class Enrollment(models.Model):
    """A customer follows a playbook from the day it entered the playbook's class until it left.

    `run_id` / `ended_run_id` are the segmentation runs (plain ids, so this app's migrations do
    not depend on segmentation's). At most one open enrollment per customer and playbook: the
    unique constraint makes re-running the same run create nothing new."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="enrollments",
    )
    playbook = models.ForeignKey(
        Playbook, verbose_name=_("playbook"), on_delete=models.CASCADE, related_name="enrollments"
    )
    reason = models.CharField(_("reason"), max_length=10, choices=EnrollmentReason.choices)
    pin_reason = models.CharField(_("pin reason"), max_length=300, blank=True)
    run_id = models.BigIntegerField(_("run"), null=True, blank=True)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    ended_run_id = models.BigIntegerField(_("ended in run"), null=True, blank=True)
    tasks_capped = models.PositiveSmallIntegerField(_("steps left out by the task cap"), default=0)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "playbook"],
                condition=Q(ended_on__isnull=True),
                name="one_open_enrollment",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="enrollment_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["run_id"], name="enrollment_run_idx"),
            models.Index(fields=["ended_run_id"], name="enrollment_ended_run_idx"),
            models.Index(
                fields=["playbook", "customer"],
                name="enrollment_open_idx",
                condition=Q(ended_on__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} · {self.playbook_id} · {self.started_on}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    SNOOZED = "snoozed", _("Snoozed")
    NOT_APPLICABLE = "not_applicable", _("No longer applicable")
    MISSED = "missed", _("Missed")


# Task kinds that are a contact with the customer: completing one can log the contact.
CONTACT_KINDS = ("call", "visit", "email", "wechat", "meeting", "pool_notice")

# Statuses that still ask something of the rep (they count against the per-customer cap).
OPEN_STATUSES = (TaskStatus.OPEN, TaskStatus.SNOOZED)


class TaskKind(models.TextChoices):
    CALL = StepKind.CALL.value, StepKind.CALL.label
    VISIT = StepKind.VISIT.value, StepKind.VISIT.label
    EMAIL = StepKind.EMAIL.value, StepKind.EMAIL.label
    WECHAT = StepKind.WECHAT.value, StepKind.WECHAT.label
    OFFER = StepKind.OFFER.value, StepKind.OFFER.label
    SURVEY = StepKind.SURVEY.value, StepKind.SURVEY.label
    MEETING = StepKind.MEETING.value, StepKind.MEETING.label
    REVIEW = StepKind.REVIEW.value, StepKind.REVIEW.label
    POOL_NOTICE = "pool_notice", _("Follow up before release to the pool")


class Task(models.Model):
    """Something a rep should do for a customer by a date: a playbook step, or the notice that
    a neglected customer is about to go to the public pool. Closed tasks are kept (adherence
    reads them); a task the customer no longer needs is closed as not applicable."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="strategy_tasks",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="strategy_tasks",
    )
    enrollment = models.ForeignKey(
        Enrollment,
        verbose_name=_("enrollment"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
    )
    step = models.ForeignKey(
        PlaybookStep,
        verbose_name=_("step"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=TaskKind.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), default=50)
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    snoozed_until = models.DateField(_("snoozed until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    contact_log = models.ForeignKey(
        "customers.ContactLog",
        verbose_name=_("contact log"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_on", "-priority", "id"]
        constraints = [
            # Idempotency: a step is put on the list once per enrollment.
            models.UniqueConstraint(
                fields=["enrollment", "step"],
                condition=Q(enrollment__isnull=False, step__isnull=False),
                name="task_enrollment_step_uniq",
            ),
            models.CheckConstraint(condition=Q(kind__in=TaskKind.values), name="task_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=TaskStatus.values), name="task_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=TaskStatus.DONE) | Q(completed_at__isnull=False),
                name="task_done_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=TaskStatus.SNOOZED) | Q(snoozed_until__isnull=False),
                name="task_snoozed_has_date",
            ),
        ]
        indexes = [
            # "My tasks": today / overdue / upcoming of one rep (open ones only).
            models.Index(
                fields=["owner", "due_on"],
                name="task_owner_open_due_idx",
                condition=Q(status__in=["open", "snoozed"]),
            ),
            # A team's or the company's open tasks in list order (when, priority, id): the
            # task list of a manager walks it and stops at the first 50 of the team, instead
            # of sorting the open tasks of 200,000 customers.
            models.Index(
                Coalesce("snoozed_until", "due_on"),
                F("priority").desc(),
                F("id"),
                name="task_open_when_idx",
                condition=Q(status__in=["open", "snoozed"]),
            ),
            # Next action on the customer page; the cap counts a customer's open tasks.
            models.Index(fields=["customer", "status", "due_on"], name="task_customer_status_idx"),
            # Adherence over a period.
            models.Index(fields=["due_on", "owner"], name="task_due_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.customer_id} · {self.due_on}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def pool_notice_for_prospect(self) -> bool:
        """A pool notice given because a prospect was never converted (not for lack of
        contact): the note holds the sweep's reason (services.pool.PROSPECT_REASON)."""
        return self.kind == TaskKind.POOL_NOTICE and self.note.startswith("prospect ")

    @property
    def can_log_contact(self) -> bool:
        return self.kind in CONTACT_KINDS
