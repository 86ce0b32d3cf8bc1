"""What every API view shares: customer lookup by code through customers.access, cursor
pagination, and the standard error responses in the schema."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.pagination import CursorPagination

from customers.access import customers_visible_to
from customers.models import Customer

from ..serializers.base import ErrorSerializer


def customer_by_code(*, user, code: str) -> Customer:
    """The customer with this code if `user` may see it; 404 alike for missing and not-yours."""
    customer = (
        customers_visible_to(user).select_related("owner", "team").filter(external_code=code).first()
    )
    if customer is None:
        raise Http404("No such customer")
    return customer


class Cursor(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


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
