"""The audit of API writes: one ApiWriteLog per successful write request. Customer ownership
changes are also in the customer's history (django-simple-history takes the user from the
request, which DRF sets for a token too), exactly as for a page write."""

from __future__ import annotations

from .models import ApiToken, ApiWriteLog


def api_write_log(
    request, *, action: str, object_ref: str = "", created: int = 0, updated: int = 0
) -> ApiWriteLog:
    user = request.user
    token = request.auth if isinstance(request.auth, ApiToken) else None
    return ApiWriteLog.objects.create(
        user=user,
        username=user.username,
        token_prefix=token.prefix if token else "",
        action=action,
        method=request.method,
        path=request.path[:500],
        object_ref=object_ref[:100],
        created=created,
        updated=updated,
        idempotency_key=(request.headers.get("Idempotency-Key") or "")[:255],
    )
