"""Every 4xx of the API has the same shape, and names the item and field:

    {"detail": "…", "errors": [{"index": 3, "field": "amount", "value": "-5",
                                 "reason": "Ensure this value is greater than or equal to 0."}]}

`index` appears for batch items, `value` where echoing the input is safe (it is the client's
own input; never another object's data)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD = "non_field_errors"


def flatten(detail: Any, field: str = "") -> list[dict[str, Any]]:
    """DRF's nested error detail as a flat list of {field, reason}."""
    out: list[dict[str, Any]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "" if key in (NON_FIELD, "__all__") else str(key)
            out.extend(flatten(value, f"{field}.{name}" if field and name else field or name))
    elif isinstance(detail, list):
        if all(not isinstance(v, dict | list) for v in detail):
            out.extend({"field": field, "reason": str(v)} for v in detail)
        else:
            for i, value in enumerate(detail):
                out.extend(flatten(value, f"{field}[{i}]"))
    else:
        out.append({"field": field, "reason": str(detail)})
    return out


def django_errors(exc: DjangoValidationError) -> list[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": "" if k in (NON_FIELD, "__all__") else k, "reason": str(m)}
            for k, errs in exc.message_dict.items()
            for m in errs
        ]
    return [{"field": "", "reason": str(m)} for m in exc.messages]


class BatchInvalid(exceptions.APIException):
    """A batch with errors: nothing of it was written."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, errors: list[dict[str, Any]], detail: str | None = None):
        super().__init__(detail or _("Nothing was written: fix the rows listed in errors."))
        self.errors = errors


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return Response(
            {"detail": _("Invalid input."), "errors": django_errors(exc)},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, BatchInvalid):
        return Response({"detail": str(exc.detail), "errors": exc.errors}, status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": _("Invalid input."), "errors": flatten(exc.detail)}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    return response
