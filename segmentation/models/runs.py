"""Runs, the classes they produce, the history of changes and hand-set pins."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import DIMENSIONS, Dimension, RunStatus
from .ruleset import RuleSet


class Run(models.Model):
    """One classification of every customer as of a date. The row per `as_of` is the claim
    that makes a run unique; `is_current` marks the run whose classes the product shows, and
    is flipped in one transaction when a run finishes (the previous classes stay in place
    until then)."""

    as_of = models.DateField(_("as of"), unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    is_current = models.BooleanField(_("current"), default=False)
    rule_set = models.ForeignKey(
        RuleSet, verbose_name=_("rule set version"), on_delete=models.PROTECT, related_name="runs"
    )
    phase = models.CharField(_("phase"), max_length=20, blank=True)
    partitions_total = models.PositiveIntegerField(_("partitions"), default=0)
    partitions_done = models.PositiveIntegerField(_("partitions done"), default=0)
    customers_total = models.PositiveIntegerField(_("customers"), default=0)
    changes_total = models.PositiveIntegerField(_("class changes"), default=0)
    # Global cut points of phase 2 (quintiles, Pareto amounts): reasons quote them.
    cut_points = models.JSONField(_("cut points"), default=dict, blank=True)
    # {dimension: {class: customers}}
    counts = models.JSONField(_("customers per class"), default=dict, blank=True)
    # Seconds per step, summed over partitions (workers overlap, so the sum can exceed the
    # wall time): where the time goes.
    timings = models.JSONField(_("seconds per step"), default=dict, blank=True)
    # The predicted-value fit of this run (segmentation.prediction.Prediction.as_dict()):
    # methods, fitted parameters, customers, fit seconds, convergence, notices.
    prediction = models.JSONField(_("prediction model"), default=dict, blank=True)
    # The custom dimension versions this run evaluated: {code: CustomDimension id}.
    custom_versions = models.JSONField(_("custom dimensions"), default=dict, blank=True)
    # How the run is carried out: {"mode": "in-process" | "celery", "partition_size": N,
    # "duplicates": {tax number: oldest id}, "phase_started": {phase: epoch seconds}}.
    plan = models.JSONField(_("plan"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    triggered_by = models.CharField(_("started by"), max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("segmentation run")
        verbose_name_plural = _("segmentation runs")
        ordering = ["-as_of"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="one_current_run"
            ),
            models.CheckConstraint(
                condition=Q(is_current=False) | Q(status=RunStatus.SUCCEEDED),
                name="current_run_succeeded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.as_of} ({self.get_status_display()})"

    @property
    def progress_pct(self) -> int:
        if not self.partitions_total:
            return 0
        return round(100 * self.partitions_done / self.partitions_total)


class RunPartition(models.Model):
    """One customer id range of a run and what became of it. Phase 1 stores the range's
    metrics here (a compressed columnar blob, segmentation.staging) so that any worker can
    classify it in phase 3; the blobs are cleared when the run finishes, the row stays as the
    record of who did what in how long."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="partitions")
    index = models.PositiveIntegerField(_("partition"))
    lo = models.BigIntegerField(_("first customer id"))
    hi = models.BigIntegerField(_("customer ids below"))
    # Phase 1 output: every metric column; and the few columns phase 2 needs, apart.
    metrics = models.BinaryField(null=True, editable=False)
    cut_inputs = models.BinaryField(null=True, editable=False)
    # Phase 2 output for this range: the predicted-value scores per customer.
    scores = models.BinaryField(null=True, editable=False)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    changes = models.PositiveIntegerField(_("class changes"), default=0)
    counts = models.JSONField(_("customers per class"), default=dict, blank=True)
    timings = models.JSONField(_("seconds per step"), default=dict, blank=True)
    metrics_done_at = models.DateTimeField(_("metrics done at"), null=True, blank=True)
    classified_at = models.DateTimeField(_("classified at"), null=True, blank=True)
    worker = models.CharField(_("last worker"), max_length=200, blank=True)
    deliveries = models.PositiveSmallIntegerField(_("deliveries"), default=0)

    class Meta:
        verbose_name = _("run partition")
        verbose_name_plural = _("run partitions")
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="run_partition_uniq")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.index}"


def _class_field(dim: str):
    return models.CharField(Dimension(dim).label, max_length=20, db_default="", default="")


def _why_field():
    return models.CharField(max_length=24, default="", db_default="")


def _metric(label, integer=False):
    field = models.IntegerField if integer else models.FloatField
    return field(label, null=True, blank=True)


class CustomerClasses(models.Model):
    """Every class (and why) and the metrics of one customer in one run: one wide row, written
    by COPY, so a run writes one row per customer instead of one per customer and dimension.

    The reason of a class is stored as a code (`<dimension>_why`); its numbers are the metrics
    in the same row and the thresholds of the run's rule-set version and cut points, so the
    reason renders in the reader's language (segmentation.reasons)."""

    # classes_run_customer_uniq (run, customer) serves every lookup by run; a separate FK
    # index would only cost the nightly COPY another million index entries.
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="+", db_index=False)
    # No database FK: rows are written by COPY in bulk and a deleted customer's row simply
    # drops out of the joins until the next run.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    lifecycle = _class_field("lifecycle")
    lifecycle_why = _why_field()
    value_tier = _class_field("value_tier")
    value_tier_why = _why_field()
    loyalty = _class_field("loyalty")
    loyalty_why = _why_field()
    potential = _class_field("potential")
    potential_why = _why_field()
    value_potential = _class_field("value_potential")
    value_potential_why = _why_field()
    frequency = _class_field("frequency")
    frequency_why = _why_field()
    rfm_r = _class_field("rfm_r")
    rfm_r_why = _why_field()
    rfm_f = _class_field("rfm_f")
    rfm_f_why = _why_field()
    rfm_m = _class_field("rfm_m")
    rfm_m_why = _why_field()
    rfm_segment = _class_field("rfm_segment")
    rfm_segment_why = _why_field()
    churn_warning = _class_field("churn_warning")
    churn_warning_why = _why_field()
    payment_risk = _class_field("payment_risk")
    payment_risk_why = _why_field()
    problem_customer = _class_field("problem_customer")
    problem_customer_why = _why_field()
    value_tier_peak = _class_field("value_tier_peak")
    value_tier_peak_why = _why_field()
    # Classes waiting out the minimum dwell: {dimension: [computed class, runs so far]}.
    pending = models.JSONField(null=True, blank=True)
    # Custom dimensions (segmentation.custom): {dimension code: class code} and, only for
    # the dimensions a pin set, {dimension code: "p"} (NULL without pins: whether the class
    # came from its rule or is the default follows from the class). One JSON column
    # instead of a column per dimension, because admins add dimensions at runtime; a GIN
    # index (jsonb_path_ops, PostgreSQL) backs the list filter's containment lookup.
    custom = models.JSONField(null=True, blank=True)
    custom_why = models.JSONField(null=True, blank=True)

    # Metrics (as of the run date)
    recency_days = _metric(_("days since last purchase"), integer=True)
    orders_total = _metric(_("orders, all time"), integer=True)
    orders_window = _metric(_("orders in window"), integer=True)
    orders_prev_window = _metric(_("orders in previous window"), integer=True)
    revenue_total = _metric(_("revenue, all time"))
    revenue_window = _metric(_("revenue in window"))
    revenue_prev_window = _metric(_("revenue in previous window"))
    profit_total = _metric(_("profit, all time"))
    profit_window = _metric(_("profit in window"))
    margin_pct = _metric(_("margin (%)"))
    avg_order_value = _metric(_("average order value"))
    categories = _metric(_("distinct categories"), integer=True)
    tenure_days = _metric(_("days since first purchase"), integer=True)
    customer_days = _metric(_("days since the record was created"), integer=True)
    interest_days = _metric(_("days since interest was shown"), integer=True)
    peak_value = _metric(_("value in the best 365 days"))
    active_months = _metric(_("active months in the last 12"), integer=True)
    interval_days = _metric(_("typical days between purchases"))
    due_orders = _metric(_("invoices due"), integer=True)
    on_time_pct = _metric(_("paid on time (%)"))
    overdue_amount = _metric(_("overdue amount"))
    overdue_days = _metric(_("oldest overdue (days)"), integer=True)
    contacts_window = _metric(_("contacts in contact window"), integer=True)
    complaints = _metric(_("complaints in window"), integer=True)
    returns = _metric(_("returns in window"), integer=True)
    repairs = _metric(_("repairs in window"), integer=True)
    satisfaction = _metric(_("latest satisfaction"), integer=True)
    referrals = _metric(_("referrals"), integer=True)
    spend_trend_pct = _metric(_("spend trend (%)"))
    service_cost = _metric(_("service cost"))
    net_value = _metric(_("net value"))
    potential_score = _metric(_("potential score"))
    duplicate_of = _metric(_("suspected duplicate of"), integer=True)
    purchase_days = _metric(_("purchase days, all time"), integer=True)
    # Predicted value (segmentation.prediction); NULL without a purchase, and p_alive also
    # NULL when the purchase model could not be fitted.
    p_alive = _metric(_("probability still active"))
    expected_orders_365d = _metric(_("expected orders in the next 365 days"))
    expected_revenue_365d = _metric(_("expected revenue in the next 365 days"))
    p_buy_365d = _metric(_("probability of an order in the next 365 days"))

    class Meta:
        verbose_name = _("customer classes")
        verbose_name_plural = _("customer classes")
        constraints = [
            # On PostgreSQL the other list-filter classes ride along in this unique index
            # (INCLUDE; migration 0011 — SQLite has no such index and would drop the whole
            # constraint): a manager's ?potential=high or ?rfm_segment=… drill-down merges
            # the run's customers in id order with the team's, filtering in the index:
            # 60-110 ms instead of a 650 ms scan of the table at 1M. Lifecycle, value tier
            # and the flags have narrower indexes of their own below.
            models.UniqueConstraint(fields=["run", "customer"], name="classes_run_customer_uniq")
        ]
        indexes = [
            # The customer list filters by the current run's lifecycle and value tier most,
            # and by the risk flags. Each index ends with the customer id: the class's
            # customers come out of the index alone (an index-only scan), in id order, and
            # merge with a team's ids from customer_team_id_idx — the capped count of a
            # manager's "dormant" list reads index pages, not 100k rows of both tables.
            # The flags index only flagged rows (8-13% of a run), so the nightly COPY barely
            # pays for them.
            models.Index(fields=["run", "lifecycle", "customer"], name="classes_run_lifecycle_idx"),
            models.Index(fields=["run", "value_tier", "customer"], name="classes_run_value_idx"),
            models.Index(
                fields=["run", "customer"],
                condition=Q(churn_warning="yes"),
                name="classes_run_churn_idx",
            ),
            models.Index(
                fields=["run", "customer"],
                condition=Q(payment_risk="yes"),
                name="classes_run_payment_idx",
            ),
            models.Index(
                fields=["run", "customer"],
                condition=Q(problem_customer="yes"),
                name="classes_run_problem_idx",
            ),
            # Dashboards' risk lists: "flagged, by value at risk, top 50" walks these partial
            # indexes (only flagged rows with a value, so the bulk write barely pays for them).
            models.Index(
                "run",
                models.F("revenue_window").desc(),
                condition=Q(churn_warning="yes", revenue_window__isnull=False),
                name="classes_churn_value_idx",
            ),
            models.Index(
                "run",
                models.F("overdue_amount").desc(),
                condition=Q(payment_risk="yes", overdue_amount__isnull=False),
                name="classes_payment_overdue_idx",
            ),
            models.Index(
                "run",
                models.F("revenue_window").desc(),
                condition=Q(problem_customer="yes", revenue_window__isnull=False),
                name="classes_problem_value_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} @ {self.run_id}"


METRIC_FIELDS: tuple[str, ...] = (
    "recency_days",
    "orders_total",
    "orders_window",
    "orders_prev_window",
    "revenue_total",
    "revenue_window",
    "revenue_prev_window",
    "profit_total",
    "profit_window",
    "margin_pct",
    "avg_order_value",
    "categories",
    "tenure_days",
    "customer_days",
    "interest_days",
    "peak_value",
    "active_months",
    "interval_days",
    "due_orders",
    "on_time_pct",
    "overdue_amount",
    "overdue_days",
    "contacts_window",
    "complaints",
    "returns",
    "repairs",
    "satisfaction",
    "referrals",
    "spend_trend_pct",
    "service_cost",
    "net_value",
    "potential_score",
    "duplicate_of",
    "purchase_days",
    "p_alive",
    "expected_orders_365d",
    "expected_revenue_365d",
    "p_buy_365d",
)
WHY_FIELDS: tuple[str, ...] = tuple(f"{d}_why" for d in DIMENSIONS)


class ClassChange(models.Model):
    """A customer moved from one class to another in a run; only changes are stored, so
    "who became dormant this week" is one indexed query."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices)
    from_code = models.CharField(_("from"), max_length=20, blank=True)
    to_code = models.CharField(_("to"), max_length=20)
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="changes")
    as_of = models.DateField(_("date"))

    class Meta:
        verbose_name = _("class change")
        verbose_name_plural = _("class changes")
        ordering = ["-as_of", "-id"]
        indexes = [
            models.Index(fields=["dimension", "to_code", "as_of"], name="change_dim_to_date_idx"),
            models.Index(fields=["customer", "as_of"], name="change_customer_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.dimension}: {self.from_code} → {self.to_code}"


class ClassPin(models.Model):
    """A class set by hand: it wins over the computed class until `expires_on`."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="class_pins",
    )
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices)
    code = models.CharField(_("class"), max_length=20)
    reason = models.CharField(_("reason"), max_length=300)
    expires_on = models.DateField(_("applies until"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pinned by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Audit trail: who pinned, changed or removed a pin, and when.
    history = HistoricalRecords(verbose_name=_("pinned class history"))

    class Meta:
        verbose_name = _("pinned class")
        verbose_name_plural = _("pinned classes")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "dimension"], name="one_pin_per_dimension")
        ]
        indexes = [models.Index(fields=["expires_on"], name="pin_expires_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.dimension} = {self.code}"
