import datetime as dt
from decimal import Decimal

import factory

from customers.models import (
    Category,
    Contact,
    ContactLog,
    Customer,
    Product,
    Referral,
    SatisfactionSurvey,
    ServiceCase,
    Transaction,
)
from tests.crm.factories import UserFactory


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    class Params:
        company = factory.Faker("company", locale="zh_CN")

    external_code = factory.Sequence(lambda n: f"C{n:07d}")
    # Faker's Chinese company names repeat (a few hundred combinations): two customers of one
    # test shared a name once in a while, and "X's name is not on the page" then failed at
    # random. The closed sequence number keeps every name unique and never a prefix of another.
    name = factory.LazyAttributeSequence(lambda o, n: f"{o.company}（{n}）")
    kind = "company"
    industry = "manufacturing"
    size = "medium"
    region = "east"
    owner = factory.SubFactory(UserFactory)
    team = factory.LazyAttribute(lambda o: o.owner.team if o.owner else None)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Faker("name", locale="zh_CN")
    role = "decision_maker"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"CAT{n}")
    name = factory.Sequence(lambda n: f"类别{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"SKU{n}")
    name = factory.Sequence(lambda n: f"产品{n}")
    category = factory.SubFactory(CategoryFactory)


class TransactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transaction

    customer = factory.SubFactory(CustomerFactory)
    date = dt.date(2026, 1, 15)
    amount = Decimal("1000.00")
    cost = Decimal("600.00")
    status = "paid"


class ContactLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactLog

    customer = factory.SubFactory(CustomerFactory)
    rep = factory.LazyAttribute(lambda o: o.customer.owner)
    channel = "call"
    summary = "Discussed the next order"


class ServiceCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceCase

    customer = factory.SubFactory(CustomerFactory)
    kind = "complaint"
    opened_on = dt.date(2026, 2, 1)
    subject = "Late delivery"


class SatisfactionSurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SatisfactionSurvey

    customer = factory.SubFactory(CustomerFactory)
    surveyed_on = dt.date(2026, 3, 1)
    score = 4


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    referrer = factory.SubFactory(CustomerFactory)
    referred_name = "某某公司"
    referred_on = dt.date(2026, 3, 1)
