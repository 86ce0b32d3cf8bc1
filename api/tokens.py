"""API tokens: made, checked and revoked here (views, admin and the command call these)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from .models import ApiToken

if TYPE_CHECKING:
    from crm.models import User

TOKEN_PREFIX = "crm"  # noqa: S105 - the tokens' fixed first word, not a secret
# 8 characters of prefix (public, to look the row up) + 40 of secret (~240 bits).
PREFIX_LENGTH = 8
SECRET_BYTES = 30
MAX_EXPIRY_DAYS = 3650
# last_used_at is written at most once a minute per token, not on every request.
LAST_USED_EVERY = dt.timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(
    *, user: User, name: str = "", expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the token text (shown once, never stored)."""
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise ValueError(f"expiry must be 1 to {MAX_EXPIRY_DAYS} days")
    while True:
        prefix = secrets.token_hex(PREFIX_LENGTH // 2)
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    token = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    expires_at = timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    row = ApiToken.objects.create(
        user=user, name=name[:100], prefix=prefix, digest=_digest(token), expires_at=expires_at
    )
    return row, token


class TokenInvalid(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "malformed" | "unknown" | "revoked" | "expired" | "inactive"


def token_check(token: str) -> ApiToken:
    """The token's row (user loaded) if it is valid; raises TokenInvalid saying why."""
    parts = token.split("_", 2)  # the secret itself may contain "_"
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != PREFIX_LENGTH:
        raise TokenInvalid("malformed")
    row = ApiToken.objects.select_related("user", "user__team").filter(prefix=parts[1]).first()
    if row is None or not hmac.compare_digest(row.digest, _digest(token)):
        raise TokenInvalid("unknown")
    if row.revoked_at is not None:
        raise TokenInvalid("revoked")
    if row.is_expired:
        raise TokenInvalid("expired")
    if not row.user.is_active:
        raise TokenInvalid("inactive")
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    return row


def token_revoke(*, actor: User, token_id: int) -> ApiToken:
    """Revokes one of the actor's own tokens (an admin: anyone's). Missing or not theirs: 404
    (ApiToken.DoesNotExist)."""
    qs = ApiToken.objects.all() if actor.is_crm_admin else ApiToken.objects.filter(user=actor)
    row = qs.get(pk=token_id)
    if row.revoked_at is None:
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
    return row


def tokens_of(*, user: User):
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
