"""django-axes under a translated name: its AppConfig has no verbose_name, so admin showed
"AXES" and its models untranslated ("Access attempts") — axes ships no zh-Hans catalogue;
ours (locale/) translates its model names."""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class LoginProtectionConfig(AxesAppConfig):
    verbose_name = _("Login protection")
