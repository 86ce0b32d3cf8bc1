"""`manage.py api_token --user NAME [--expires DAYS] [--name TEXT]`: a new API token for a
user; the token is the last word of the last line (scripts take it from there)."""

from django.core.management.base import BaseCommand, CommandError

from crm.models import User

from ...tokens import MAX_EXPIRY_DAYS, token_create


class Command(BaseCommand):
    help = "Creates an API token for a user and prints it (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="user name")
        parser.add_argument("--expires", type=int, default=None, help="days until it expires")
        parser.add_argument("--name", default="manage.py api_token", help="what it is for")

    def handle(self, *args, user, expires, name, **options):
        account = User.objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"no user named {user!r}")
        if not account.is_active:
            raise CommandError(f"user {user!r} is deactivated")
        if expires is not None and not 1 <= expires <= MAX_EXPIRY_DAYS:
            raise CommandError(f"--expires must be 1 to {MAX_EXPIRY_DAYS} days")
        row, token = token_create(user=account, name=name, expires_in_days=expires)
        until = row.expires_at.strftime("%Y-%m-%d %H:%M %Z") if row.expires_at else "never"
        self.stdout.write(f"Token {row.prefix} for {account.username}, expires: {until}.")
        self.stdout.write("Shown once; store it now. Token:")
        self.stdout.write(token)
