"""What every API view shares: customer lookup by code through customers.access, cursor
pagination, and the standard error responses in the schema."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination

from customers.access import customers_visible_to
from customers.models import Customer

from ..serializers.base import ErrorSerializer


def customer_by_code(*, user, code: str) -> Customer:
    """The customer with this code if `user` may see it; 404 alike for missing and not-yours."""
    customer = (
        customers_visible_to(user)
        .select_related("owner", "team")
        .filter(external_code=code)
        .first()
    )
    if customer is None:
        raise Http404("No such customer")
    return customer


class Cursor(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {"page_size": [_("A whole number from 1 to %s.") % self.max_page_size]}
            )
        return int(raw)


def cursor(ordering):
    return type("Cursor", (Cursor,), {"ordering": ordering})


ERR = OpenApiResponse(ErrorSerializer, description="Problem, naming the item and field")
ERRORS = {400: ERR, 401: ERR, 403: ERR, 404: ERR, 429: ERR}
WRITE_ERRORS = {**ERRORS, 409: ERR, 422: ERR}
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Same key + same body: written once, the stored response is replayed.",
)
CODE = OpenApiParameter("code", str, OpenApiParameter.PATH, description="Customer code (客户编号)")


def object_id(value) -> int:
    """A path id as an int; anything else (a negative number, text) is a 404 like a missing
    object. Paths take any text so that a malformed id gets the API's JSON 404, not the
    site's HTML page."""
    text = str(value)
    if not text.isdigit() or len(text) > 18:
        raise Http404("No such object")
    return int(text)


def id_parameter(name: str) -> OpenApiParameter:
    return OpenApiParameter(name, int, OpenApiParameter.PATH)


PAGE_SIZE = OpenApiParameter(
    "page_size",
    {"type": "integer", "minimum": 1, "maximum": Cursor.max_page_size},
    description="1–200, default 50",
)
CURSOR = OpenApiParameter("cursor", str, description="From the previous page's next/previous")
