"""What customers buy: product categories, products and transactions."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .choices import PaymentMethod, TransactionStatus
from .customer import MONEY, Customer


class Category(models.Model):
    """A product category; the number of distinct categories a customer buys is a metric."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    code = models.CharField(_("SKU"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )
    list_price = models.DecimalField(_("list price"), default=0, **MONEY)
    unit_cost = models.DecimalField(_("unit cost"), default=0, **MONEY)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(list_price__gte=0), name="product_price_gte_0"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="product_cost_gte_0"),
        ]

    def __str__(self) -> str:
        return self.name


class Transaction(models.Model):
    """One order. Amount and cost give profit and margin; due and paid dates give payment
    punctuality. Refunded and cancelled orders stay for the record but do not count as revenue."""

    external_code = models.CharField(
        _("order code"), max_length=64, null=True, blank=True, unique=True
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="transactions",
        # txn_customer_date_idx (customer, date) answers every lookup by customer; a second
        # index would only slow down bulk imports of millions of orders.
        db_index=False,
    )
    date = models.DateField(_("order date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    cost = models.DecimalField(_("cost"), null=True, blank=True, **MONEY)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    payment_method = models.CharField(
        _("payment method"),
        max_length=14,
        choices=PaymentMethod.choices,
        default=PaymentMethod.BANK_TRANSFER,
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=TransactionStatus.choices,
        default=TransactionStatus.PAID,
    )
    due_date = models.DateField(_("payment due"), null=True, blank=True)
    paid_date = models.DateField(_("paid on"), null=True, blank=True)
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales rep"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        # Nothing reads orders by rep; the index cost every import and only helped the rare
        # deletion of a user (which sets this column to NULL).
        db_index=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="transaction_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(cost__isnull=True) | Q(cost__gte=0), name="transaction_cost_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(due_date__isnull=True) | Q(due_date__gte=F("date")),
                name="transaction_due_after_order",
            ),
            models.CheckConstraint(
                condition=Q(paid_date__isnull=True) | Q(paid_date__gte=F("date")),
                name="transaction_paid_after_order",
            ),
            models.CheckConstraint(
                condition=Q(status__in=TransactionStatus.values), name="transaction_status_valid"
            ),
        ]
        indexes = [
            # Segmentation aggregates per customer over date windows; the customer page lists
            # newest first.
            models.Index(fields=["customer", "date"], name="txn_customer_date_idx"),
            models.Index(fields=["date"], name="txn_date_idx"),
            # Overdue receivables: open orders by due date.
            models.Index(
                fields=["due_date"],
                name="txn_open_due_idx",
                condition=Q(paid_date__isnull=True, status="open"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.amount}"

    @property
    def profit(self):
        return None if self.cost is None else self.amount - self.cost
