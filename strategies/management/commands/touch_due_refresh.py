from django.core.management.base import BaseCommand

from strategies.services.touch import touch_due_refresh


class Command(BaseCommand):
    help = (
        "Recompute every customer's next contact deadline (the nightly run does this after "
        "task generation; run it once after migrating a database that already has "
        "enrollments). Safe to repeat: only changed rows are written."
    )

    def handle(self, *args, **opts):
        changed = touch_due_refresh()
        self.stdout.write(f"next contact deadlines: {changed} changed")
