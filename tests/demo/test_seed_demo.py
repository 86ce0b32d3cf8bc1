"""seed_demo: deterministic, realistic, constraint-respecting demo data and the demo logins."""

import datetime as dt
import functools
import hashlib
import io

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Max, Min, Q, Sum
from django.urls import reverse
from django.utils import timezone

from crm.models import Role, User
from customers.access import customers_visible_to
from customers.models import (
    Contact,
    ContactLog,
    Customer,
    Referral,
    SatisfactionSurvey,
    ServiceCase,
    Transaction,
)
from customers.models.choices import CompanySize, DecisionRole, Industry, Region
from demo.seed import DEMO_LOGINS, SALES_MANAGERS_GROUP, SeedError, seed_demo
from demo.seed.load import PgBulkWindow, PgCopyLoader
from demo.seed.services import MODELS

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 3, 31)
N = 300


def _seed(**kwargs):
    options = {"customers": N, "seed": 7, "as_of": AS_OF, **kwargs}
    return seed_demo(**options)


def _fingerprint() -> str:
    """Every generated row, keyed by stable codes rather than ids."""
    parts = [
        Customer.objects.order_by("external_code").values_list(
            "external_code",
            "name",
            "kind",
            "industry",
            "size",
            "region",
            "city",
            "phone",
            "owner__username",
            "team__name",
            "annual_budget",
            "interest_since",
            "created_at",
        ),
        Transaction.objects.order_by("customer__external_code", "date", "amount").values_list(
            "customer__external_code",
            "date",
            "amount",
            "cost",
            "status",
            "payment_method",
            "due_date",
            "paid_date",
            "product__code",
        ),
        Contact.objects.order_by("customer__external_code", "name", "role").values_list(
            "customer__external_code", "name", "role", "is_champion"
        ),
        ContactLog.objects.order_by("customer__external_code", "occurred_at").values_list(
            "customer__external_code", "occurred_at", "channel", "outcome", "next_follow_up"
        ),
        ServiceCase.objects.order_by("customer__external_code", "opened_on", "kind").values_list(
            "customer__external_code", "opened_on", "kind", "status", "closed_on"
        ),
        SatisfactionSurvey.objects.order_by("customer__external_code", "surveyed_on").values_list(
            "customer__external_code", "surveyed_on", "score"
        ),
        Referral.objects.order_by("referrer__external_code", "referred_on").values_list(
            "referrer__external_code", "referred__external_code", "referred_name", "referred_on"
        ),
    ]
    digest = hashlib.sha256()
    for rows in parts:
        # Sorted on every column: rows that tie on the ordering keys (two referrals of one
        # customer on one day) would otherwise come in whatever order the plan gives.
        digest.update(repr(sorted(rows, key=repr)).encode())
    return digest.hexdigest()


def test_same_seed_gives_the_same_data_and_another_seed_different_data():
    _seed()
    first = _fingerprint()
    _seed(flush=True)
    assert _fingerprint() == first
    _seed(flush=True, seed=8)
    assert _fingerprint() != first
    assert Customer.objects.count() == N


def test_every_purchase_pattern_needed_by_the_lifecycle_classes_is_present():
    _seed()
    orders = Customer.objects.annotate(
        n=Count("transactions"), last=Max("transactions__date"), first=Min("transactions__date")
    )
    recent = AS_OF - dt.timedelta(days=60)
    prospects = orders.filter(n=0, interest_since__isnull=True)
    intent = orders.filter(n=0, interest_since__isnull=False)
    first_purchase = orders.filter(n=1, first__gte=AS_OF - dt.timedelta(days=90))
    one_off_long_ago = orders.filter(n=1, last__lt=AS_OF - dt.timedelta(days=365))
    regular = orders.filter(n__gte=12, last__gte=recent)
    lapsed = orders.filter(
        n__gte=3,
        last__lt=AS_OF - dt.timedelta(days=120),
        last__gte=AS_OF - dt.timedelta(days=730),
    )
    long_gone = orders.filter(n__gte=3, last__lt=AS_OF - dt.timedelta(days=300))
    for name, qs in {
        "prospects": prospects,
        "intent": intent,
        "first purchase": first_purchase,
        "one-off long ago": one_off_long_ago,
        "regular": regular,
        "lapsed": lapsed,
        "long gone": long_gone,
    }.items():
        assert qs.count() >= 3, name
    assert intent.filter(interest_since__lte=AS_OF).count() == intent.count()
    # Nothing happens after the run date.
    assert not Transaction.objects.filter(Q(date__gt=AS_OF) | Q(paid_date__gt=AS_OF)).exists()


def test_the_records_cover_every_attribute_and_risk_the_classes_use():
    _seed()
    customers = Customer.objects.all()
    assert set(customers.values_list("industry", flat=True)) == set(Industry.values)
    assert set(customers.values_list("size", flat=True)) == set(CompanySize.values)
    assert set(customers.values_list("region", flat=True)) == set(Region.values)
    assert set(customers.values_list("kind", flat=True)) == {"company", "individual"}
    assert set(customers.values_list("market", flat=True)) == {"domestic", "international"}
    assert customers.filter(name__regex=r"[A-Za-z]").exists()
    assert customers.filter(name__endswith="有限公司").exists()
    assert set(Contact.objects.values_list("role", flat=True)) == set(DecisionRole.values)
    assert Contact.objects.filter(is_champion=True).exists()

    txns = Transaction.objects.all()
    assert set(txns.values_list("status", flat=True)) == {"paid", "open", "refunded", "cancelled"}
    assert txns.filter(status="open", due_date__lt=AS_OF).exists()  # overdue
    assert txns.filter(paid_date__gt=F("due_date")).exists()  # paid late
    assert txns.values("category").distinct().count() >= 8
    assert txns.filter(cost__lt=F("amount")).count() > txns.count() * 0.9  # margins

    # Pareto-like spend: the top fifth of the buyers brings most of the revenue.
    revenue = sorted(
        customers.annotate(r=Sum("transactions__amount", filter=Q(transactions__status="paid")))
        .filter(r__isnull=False)
        .values_list("r", flat=True),
        reverse=True,
    )
    assert sum(revenue[: len(revenue) // 5]) > sum(revenue) / 2

    follow_ups = ContactLog.objects.filter(next_follow_up__isnull=False)
    assert follow_ups.filter(next_follow_up=AS_OF).exists()
    assert follow_ups.filter(next_follow_up__lt=AS_OF).exists()
    assert follow_ups.filter(next_follow_up__gt=AS_OF).exists()
    assert set(ServiceCase.objects.values_list("kind", flat=True)) == {
        "complaint",
        "return",
        "repair",
    }
    many_cases = Customer.objects.annotate(k=Count("service_cases")).filter(k__gte=3)
    assert many_cases.exists()
    assert SatisfactionSurvey.objects.values("score").distinct().count() == 5
    assert Referral.objects.filter(converted=True, referred__isnull=False).exists()
    assert Referral.objects.filter(converted=False, referred__isnull=True).exists()


def test_every_model_constraint_and_foreign_key_holds():
    _seed()
    for model in MODELS:
        for constraint in model._meta.constraints:
            condition = getattr(constraint, "condition", None)
            if condition is not None:
                broken = model.objects.exclude(condition).count()
                assert broken == 0, f"{model.__name__}: {constraint.name}"
    assert not Transaction.objects.filter(due_date__lt=F("date")).exists()
    assert not ServiceCase.objects.filter(closed_on__lt=F("opened_on")).exists()
    assert not Referral.objects.filter(referred=F("referrer")).exists()
    # Every owner is a rep of the customer's team.
    assert not Customer.objects.exclude(owner__team=F("team")).exists()
    assert not Customer.objects.exclude(owner__role=Role.REP).exists()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_key_check")
            assert cursor.fetchall() == []


def test_demo_logins_exist_with_their_roles_and_valid_passwords():
    _seed()
    users = {u.username: u for u in User.objects.filter(username__startswith="demo_")}
    admin, director = users["demo_admin"], users["demo_director"]
    manager, rep = users["demo_manager"], users["demo_rep"]
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.role == Role.ADMIN
    assert director.role == Role.MANAGER
    assert director.is_director
    assert director.is_staff
    assert manager.role == Role.MANAGER
    assert not manager.is_director
    assert manager.is_staff
    assert rep.role == Role.REP
    assert not rep.is_staff
    assert rep.team == manager.team
    for user in (director, manager):
        assert user.groups.filter(name=SALES_MANAGERS_GROUP).exists()
        assert user.has_perm("customers.view_customer")
        assert user.has_perm("customers.change_transaction")
        assert not user.has_perm("customers.delete_customer")
    for login in DEMO_LOGINS:
        user = users[login.username]
        validate_password(login.password, user)  # raises if Django's validators refuse it
        assert user.check_password(login.password)

    assert customers_visible_to(admin).count() == N
    assert customers_visible_to(director).count() == N
    team_count = Customer.objects.filter(team=manager.team).count()
    assert 0 < customers_visible_to(manager).count() == team_count < N
    assert 0 < customers_visible_to(rep).count() < team_count


def test_the_manager_browses_only_their_team_in_admin(client):
    _seed()
    manager = User.objects.get(username="demo_manager")
    client.force_login(manager)
    response = client.get(reverse("admin:customers_customer_changelist"))
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert shown
    assert {c.team_id for c in shown} == {manager.team_id}
    other = Customer.objects.exclude(team=manager.team).first()
    page = client.get(reverse("admin:customers_customer_change", args=[other.pk]))
    assert page.status_code == 302  # admin answers "does not exist" for objects outside scope
    assert other.name not in page.content.decode()


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_a_demo_login_logs_in_through_the_login_page(client, role):
    _seed()
    login = next(d for d in DEMO_LOGINS if d.role == role)
    response = client.post(
        reverse("login"), {"username": login.username, "password": login.password}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username=login.username).pk)


def test_seeding_a_database_that_has_customers_needs_flush_and_keeps_the_data():
    _seed(customers=50)
    before = _fingerprint()
    with pytest.raises(SeedError, match=r"already holds 50 customers.*--flush"):
        _seed(customers=80)
    assert _fingerprint() == before
    out = io.StringIO()
    with pytest.raises(CommandError, match="already holds 50 customers"):
        call_command("seed_demo", "--customers", "80", stdout=out)
    assert Customer.objects.count() == 50


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--customers", "0"], "between 1 and"),
        (["--customers", "10", "--reps", "0"], "--reps must be at least 1"),
        (["--customers", "10", "--as-of", "31/03/2026"], "--as-of must be a date"),
        (["--customers", "10", "--as-of", "2999-01-01"], "--as-of cannot be in the future"),
    ],
)
def test_bad_options_are_refused_with_a_clear_message(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("seed_demo", *args, stdout=io.StringIO())
    assert not Customer.objects.exists()


def test_the_commands_print_one_login_per_role(monkeypatch):
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    assert "missing: run seed_demo" in out.getvalue()

    out = io.StringIO()
    call_command(
        "seed_demo",
        "--customers",
        "60",
        "--as-of",
        "2026-03-31",
        "--flush",
        "--no-input",
        stdout=out,
    )
    text = out.getvalue()
    assert "customers_transaction" in text
    for login in DEMO_LOGINS:
        assert login.username in text
        assert login.password in text

    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    assert "missing" not in out.getvalue()
    assert "demo_manager" in out.getvalue()


def test_flush_asks_before_deleting(monkeypatch):
    _seed(customers=20)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Cancelled; nothing was deleted"):
        call_command("seed_demo", "--customers", "30", "--flush", stdout=io.StringIO())
    assert Customer.objects.count() == 20


@pytest.mark.needs_postgres
def test_postgres_copy_path_loads_the_same_data_and_restores_the_schema(monkeypatch):
    def schema():
        with connection.cursor() as cursor:
            window = PgBulkWindow(connection, [m._meta.db_table for m in MODELS])
            cursor.execute(
                "SELECT count(*) FROM pg_indexes WHERE tablename = ANY(%s)", [window.tables]
            )
            indexes = cursor.fetchone()[0]
            cursor.execute(
                "SELECT count(*) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
                "WHERE t.relname = ANY(%s)",
                [window.tables],
            )
            return indexes, cursor.fetchone()[0]

    before = schema()
    report = _seed()
    assert report.vendor == "postgresql"
    assert schema() == before
    assert report.rows["customers_transaction"] == Transaction.objects.count() > N * 5
    for model in MODELS:
        for constraint in model._meta.constraints:
            condition = getattr(constraint, "condition", None)
            if condition is not None:
                assert not model.objects.exclude(condition).exists(), constraint.name
    fingerprint = _fingerprint()
    # Sequences moved past the explicit ids: a plain insert gets a fresh id.
    customer = Customer.objects.create(external_code="AFTER-SEED", name="新客户")
    assert customer.pk > Customer.objects.exclude(pk=customer.pk).aggregate(m=Max("pk"))["m"]
    _seed(flush=True)
    assert _fingerprint() == fingerprint
    assert not Customer.objects.filter(external_code="AFTER-SEED").exists()

    # The binary COPY stream carries exactly what the text format (pandas' CSV) carries:
    # every column of every row.
    def every_row():
        digests = {}
        with connection.cursor() as cursor:
            for model in MODELS:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM {table} t"  # noqa: S608
                )
                digests[table] = cursor.fetchone()[0]
        return digests

    binary = every_row()
    monkeypatch.setattr(
        "demo.seed.services.PgCopyLoader", functools.partial(PgCopyLoader, binary=False)
    )
    _seed(flush=True)
    assert every_row() == binary
    assert _fingerprint() == fingerprint


def test_flush_also_removes_the_segmentation_results_of_the_old_customers(admin_ada):
    """Class rows and class changes point at customers without a database constraint: the
    flush must delete them (and the runs) itself, so nothing stale outlives the customers."""
    from segmentation.models import ClassChange, ClassPin, CustomerClasses, Run
    from segmentation.services import class_pin_set, segmentation_run

    _seed()
    segmentation_run(as_of=AS_OF)
    segmentation_run(as_of=AS_OF + dt.timedelta(days=1))
    assert CustomerClasses.objects.count() == 2 * N
    customer = Customer.objects.order_by("pk").first()
    class_pin_set(
        actor=admin_ada,
        customer_id=customer.pk,
        dimension="lifecycle",
        code="loyal",
        reason="test",
        expires_on=timezone.localdate() + dt.timedelta(days=30),
    )
    assert ClassPin.objects.exists()

    _seed(flush=True, seed=8)

    assert not Run.objects.exists()
    assert not CustomerClasses.objects.exists()
    assert not ClassChange.objects.exists()
    assert not ClassPin.objects.exists()
    # The same day classifies again from scratch, for the new customers only.
    again = segmentation_run(as_of=AS_OF)
    assert again.is_current
    assert Run.objects.count() == 1
    assert set(CustomerClasses.objects.values_list("customer_id", flat=True)) == set(
        Customer.objects.values_list("pk", flat=True)
    )
