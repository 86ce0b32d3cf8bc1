from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Users and teams")

    def ready(self) -> None:
        # django-simple-history builds a history model's plural as "historical <plural>" from
        # an untranslatable format string, so admin listed "Historical 自定义类别". Where a
        # model gave its history a (translated) name, use that for the plural too. Only the
        # runtime label changes: migrations read Meta's original attributes, not this one.
        from django.apps import apps

        for model in apps.get_models():
            meta = model._meta
            untranslated = str(meta.verbose_name_plural).startswith("historical ")
            named = not str(meta.verbose_name).startswith("historical ")
            if hasattr(model, "instance_type") and untranslated and named:
                meta.verbose_name_plural = meta.verbose_name
