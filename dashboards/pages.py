"""The dashboards' sub-navigation: (url name, label). Append new pages here."""

from django.utils.translation import gettext_lazy as _

PAGES: list[tuple[str, object]] = [
    ("dashboards:overview", _("Overview")),
    ("dashboards:movements", _("Class movements")),
    ("dashboards:funnel", _("Funnel")),
    ("dashboards:value", _("Value × potential")),
    ("dashboards:rfm", _("RFM grid")),
    ("dashboards:risks", _("Risk lists")),
    ("dashboards:adherence", _("Playbook adherence")),
    ("dashboards:effectiveness", _("Playbook effectiveness")),
    ("dashboards:rep_book", _("Rep book")),
]
