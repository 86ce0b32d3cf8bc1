from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo-data generator (`seed_demo`, `demo_logins`). It sits above every domain app:
    it may import customers, segmentation and strategies, and none of them imports it."""

    name = "demo"
    verbose_name = _("Demo data")
