"""The customer and the people at the customer."""

from typing import TypedDict

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import (
    AgeBand,
    CompanySize,
    CustomerKind,
    DecisionRole,
    Education,
    Gender,
    IncomeBand,
    Industry,
    IndustryOutlook,
    MaritalStatus,
    Market,
    Region,
    SourceChannel,
)


class _MoneyArgs(TypedDict):
    max_digits: int
    decimal_places: int


# Money: 14 digits before the point is more than any order or budget will need, in any currency.
MONEY: _MoneyArgs = {"max_digits": 16, "decimal_places": 2}


class Customer(models.Model):
    """A company or a private person we sell to.

    `external_code` is the stable key of the customer in the systems it is imported from, so
    re-importing a file updates rows instead of duplicating them. Firmographic fields feed the
    purchase-potential score; demographic fields apply to individuals only."""

    external_code = models.CharField(_("customer code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("type"), max_length=12, choices=CustomerKind.choices, default=CustomerKind.COMPANY
    )
    industry = models.CharField(
        _("industry"), max_length=20, choices=Industry.choices, default=Industry.OTHER
    )
    size = models.CharField(
        _("size"), max_length=10, choices=CompanySize.choices, default=CompanySize.SMALL
    )
    region = models.CharField(
        _("region"), max_length=12, choices=Region.choices, default=Region.EAST
    )
    city = models.CharField(_("city"), max_length=60, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    market = models.CharField(
        _("domestic / international"),
        max_length=14,
        choices=Market.choices,
        default=Market.DOMESTIC,
    )
    source_channel = models.CharField(
        _("source channel"),
        max_length=12,
        choices=SourceChannel.choices,
        default=SourceChannel.OTHER,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
    )
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
        # customer_team_id_idx (team, id) serves every lookup by team and, ordered by id,
        # the merge joins of the list's class filters; a plain FK index would only duplicate it.
        db_index=False,
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    tax_number = models.CharField(
        _("tax / registration number"),
        max_length=40,
        blank=True,
        help_text=_("Unified social credit code or another registration number."),
    )

    # Firmographics (potential)
    annual_budget = models.DecimalField(
        _("annual purchasing budget"), null=True, blank=True, **MONEY
    )
    annual_revenue = models.DecimalField(_("annual revenue"), null=True, blank=True, **MONEY)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    industry_outlook = models.CharField(
        _("industry outlook"),
        max_length=10,
        choices=IndustryOutlook.choices,
        default=IndustryOutlook.STABLE,
    )
    growth_rate = models.DecimalField(
        _("growth rate (%)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The customer's own yearly growth in percent; negative when shrinking."),
    )

    # Demographics (individuals)
    age_band = models.CharField(_("age band"), max_length=8, choices=AgeBand.choices, blank=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    income_band = models.CharField(
        _("income band"), max_length=8, choices=IncomeBand.choices, blank=True
    )
    education = models.CharField(
        _("education"), max_length=14, choices=Education.choices, blank=True
    )
    marital_status = models.CharField(
        _("marital status"), max_length=8, choices=MaritalStatus.choices, blank=True
    )

    acquisition_cost = models.DecimalField(
        _("acquisition cost"), default=0, help_text=_("What winning this customer cost."), **MONEY
    )
    interest_since = models.DateField(
        _("interest shown on"),
        null=True,
        blank=True,
        help_text=_("When a prospect first showed concrete interest (an intent customer)."),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Audit trail of ownership: who moved a customer to which owner/team, and when. Only the
    # code, owner and team are kept, so the history holds no personal data (an anonymised
    # customer leaves no trace in it). Bulk paths that move customers (pool claims and
    # releases, imports that change owners) write their rows through customers.history;
    # bulk creation (import, seed) and the nightly run write none (ImportLog audits imports).
    history = HistoricalRecords(
        excluded_fields=[
            "name",
            "kind",
            "industry",
            "size",
            "region",
            "city",
            "address",
            "market",
            "source_channel",
            "phone",
            "email",
            "website",
            "tax_number",
            "annual_budget",
            "annual_revenue",
            "employees",
            "industry_outlook",
            "growth_rate",
            "age_band",
            "gender",
            "income_band",
            "education",
            "marital_status",
            "acquisition_cost",
            "interest_since",
            "notes",
            "created_at",
            "updated_at",
        ],
        verbose_name=_("customer ownership history"),
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [
            (
                "export_personal_data",
                _("Can see and export other teams' phone numbers and e-mail addresses in full"),
            )
        ]
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(acquisition_cost__gte=0), name="customer_acquisition_cost_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(annual_budget__isnull=True) | Q(annual_budget__gte=0),
                name="customer_annual_budget_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(annual_revenue__isnull=True) | Q(annual_revenue__gte=0),
                name="customer_annual_revenue_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=CustomerKind.values), name="customer_kind_valid"
            ),
        ]
        indexes = [
            # Access selector + list page: a rep's / a team's customers in name order.
            models.Index(fields=["owner", "name", "id"], name="customer_owner_name_idx"),
            models.Index(fields=["team", "name", "id"], name="customer_team_name_idx"),
            models.Index(fields=["name", "id"], name="customer_name_idx"),
            models.Index(fields=["phone"], name="customer_phone_idx"),
            models.Index(fields=["tax_number"], name="customer_tax_number_idx"),
            models.Index(fields=["industry", "region", "size"], name="customer_segment_attr_idx"),
            # A manager's list (a team of ~200k customers at 1M) filtered by class: the
            # team's ids in id order merge with the classes index's customer ids, reading
            # index pages only (segmentation's classes_run_*_customer_idx).
            models.Index(fields=["team", "id"], name="customer_team_id_idx"),
            # …filtered by region, industry or size: the team's matching ids straight from the
            # index, however few (teams are regional; "east" in a western team is none).
            models.Index(
                fields=["team", "region", "industry", "size", "id"], name="customer_team_attr_idx"
            ),
            models.Index(fields=["updated_at"], name="customer_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_code})"


class Contact(models.Model):
    """A person at the customer, with their role in the buying decision."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=120)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    role = models.CharField(
        _("decision-chain role"),
        max_length=16,
        choices=DecisionRole.choices,
        default=DecisionRole.USER,
    )
    is_champion = models.BooleanField(
        _("internal champion"),
        default=False,
        help_text=_("Argues for us inside the customer's organisation."),
    )
    is_primary = models.BooleanField(_("primary contact"), default=False)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    wechat = models.CharField(_("WeChat ID"), max_length=60, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    external_code = models.CharField(
        _("contact code"), max_length=64, null=True, blank=True, unique=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name", "id"]
        indexes = [
            models.Index(fields=["customer", "role"], name="contact_customer_role_idx"),
            models.Index(fields=["name"], name="contact_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name
