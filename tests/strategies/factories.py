import datetime as dt

import factory

from segmentation.models import ClassChange, Run
from strategies.models import Enrollment, Playbook, PlaybookStep, Task
from tests.customers.factories import CustomerFactory
from tests.segmentation.factories import RuleSetFactory


class PlaybookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Playbook

    code = factory.Sequence(lambda n: f"test-pb-{n}")
    name_zh = factory.Sequence(lambda n: f"测试策略{n}")
    name_en = factory.Sequence(lambda n: f"Test playbook {n}")
    goal_zh = "目标"
    goal_en = "Goal"
    dimension = "lifecycle"
    class_code = "dormant"
    priority = 50
    cadence_days = 14
    service_level = "standard"
    max_interval_days = 30


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlaybookStep

    playbook = factory.SubFactory(PlaybookFactory)
    order = factory.Sequence(lambda n: n + 1)
    kind = "call"
    day_offset = 0
    instruction_zh = "打电话"
    instruction_en = "Call"


class RunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Run

    as_of = factory.Sequence(lambda n: dt.date(2026, 3, 1) + dt.timedelta(days=n))
    status = "succeeded"
    rule_set = factory.SubFactory(RuleSetFactory)


class ClassChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassChange

    customer = factory.SubFactory(CustomerFactory)
    dimension = "lifecycle"
    from_code = "repeat"
    to_code = "dormant"
    run = factory.SubFactory(RunFactory)
    as_of = factory.LazyAttribute(lambda o: o.run.as_of)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    customer = factory.SubFactory(CustomerFactory)
    playbook = factory.SubFactory(PlaybookFactory)
    reason = "entered"
    started_on = dt.date(2026, 3, 1)


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    customer = factory.SubFactory(CustomerFactory)
    owner = factory.LazyAttribute(lambda o: o.customer.owner)
    kind = "call"
    due_on = dt.date(2026, 3, 1)
