"""`Idempotency-Key` on POST: the first request with a key is carried out and its (2xx)
response stored with a hash of its body, in the same transaction as its writes; the same key
with the same body replays that response without writing again; the same key with another
body is refused (422). Two requests racing with one key: the loser gets 409 and writes
nothing (the unique (user, key) row decides)."""

from __future__ import annotations

import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"


class _Raced(Exception):
    """Another request stored the same key first: this one's writes are rolled back."""


MAX_KEY_LENGTH = 255


def idempotent(method):
    @functools.wraps(method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return method(self, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            return Response(
                {
                    "detail": _("Invalid Idempotency-Key."),
                    "errors": [
                        {
                            "field": HEADER,
                            "reason": _("1 to %(n)s characters.") % {"n": MAX_KEY_LENGTH},
                        }
                    ],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        # Read the raw body before the parser streams it.
        digest = hashlib.sha256(request.body).hexdigest()
        path = request.path[:500]
        try:
            with transaction.atomic():
                record = (
                    IdempotencyRecord.objects.select_for_update()
                    .filter(user=request.user, key=key)
                    .first()
                )
                if record is not None:
                    if record.body_sha256 != digest or record.path != path:
                        return Response(
                            {
                                "detail": _(
                                    "This Idempotency-Key was already used with another "
                                    "request; use a new key for a new request."
                                ),
                                "errors": [{"field": HEADER, "value": key, "reason": "reused"}],
                            },
                            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
                        )
                    response = Response(record.response, status=record.status)
                    response["Idempotent-Replayed"] = "true"
                    return response
                response = method(self, request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    try:
                        with transaction.atomic():
                            IdempotencyRecord.objects.create(
                                user=request.user,
                                key=key,
                                method=request.method,
                                path=path,
                                body_sha256=digest,
                                status=response.status_code,
                                response=json.loads(JSONRenderer().render(response.data)),
                            )
                    except IntegrityError:
                        raise _Raced from None
                else:
                    transaction.set_rollback(True)
                return response
        except _Raced:
            return Response(
                {
                    "detail": _(
                        "Another request with this Idempotency-Key is being processed; "
                        "try again in a moment."
                    )
                },
                status=status.HTTP_409_CONFLICT,
            )

    return wrapper
