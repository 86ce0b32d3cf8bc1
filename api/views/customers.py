"""Customers and what hangs off a customer: classes, contacts, contact logs, transactions."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _
from django_filters import ChoiceFilter, ModelChoiceFilter
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.access import (
    contact_logs_visible_to,
    contacts_visible_to,
    transactions_visible_to,
)
from customers.filters import CustomerFilter
from customers.models import Contact
from customers.paging import InvalidCursor
from customers.privacy import PERSONAL_FIELDS, personal_data_visible
from customers.selectors import (
    SORT_OPTIONS,
    customer_duplicates,
    customer_list,
    users_assignable_by,
)
from customers.services import (
    can_manage_customers,
    contact_log_create,
    contact_save,
    customer_create,
    customer_update,
)

from .. import classes
from ..audit import api_write_log
from ..batch import transactions_batch_write
from ..idempotency import idempotent
from ..serializers.customers import (
    ContactLogSerializer,
    ContactLogWriteSerializer,
    ContactSerializer,
    ContactWriteSerializer,
    CustomerSerializer,
    CustomerWriteSerializer,
    TransactionSerializer,
)
from .common import (
    CODE,
    CURSOR,
    ERRORS,
    IDEMPOTENCY_KEY,
    PAGE_SIZE,
    WRITE_ERRORS,
    cursor,
    customer_by_code,
    id_parameter,
    object_id,
)

MAX_PAGE_SIZE = 200


def _filter_parameters() -> list[OpenApiParameter]:
    """The customer list page's filters (customers.filters plus what other apps registered),
    as query parameters of the schema."""
    params = []
    for name, flt in CustomerFilter.base_filters.items():
        if isinstance(flt, ModelChoiceFilter):
            params.append(OpenApiParameter(name, int, description=str(flt.label or name)))
        elif isinstance(flt, ChoiceFilter) and not callable(flt.extra.get("choices")):
            params.append(
                OpenApiParameter(
                    name,
                    str,
                    # Empty means "no filter", as the list page's form sends it.
                    enum=["", *(str(c) for c, _label in flt.extra["choices"])],
                    description=str(flt.label or name),
                )
            )
        else:
            params.append(OpenApiParameter(name, str, description=str(flt.label or name)))
    return [
        *params,
        OpenApiParameter("sort", str, enum=list(SORT_OPTIONS)),
        OpenApiParameter("after", str, description="Cursor: the page after this one"),
        OpenApiParameter("before", str, description="Cursor: the page before this one"),
        PAGE_SIZE,
    ]


def _page_size(params) -> int:
    raw = params.get("page_size")
    if raw in (None, ""):
        return 50
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationError({"page_size": [_("A whole number from 1 to %s.") % MAX_PAGE_SIZE]})
    return size


CustomerPage = inline_serializer(
    "CustomerPage",
    {
        "results": CustomerSerializer(many=True),
        "next": serializers.CharField(allow_null=True),
        "previous": serializers.CharField(allow_null=True),
        "count": serializers.IntegerField(),
        "count_is_capped": serializers.BooleanField(),
    },
)


class CustomerListView(APIView):
    @extend_schema(
        operation_id="customers_list",
        parameters=_filter_parameters(),
        responses={200: CustomerPage, **ERRORS},
        summary="Customers you may see (客户列表), with the list page's filters",
    )
    def get(self, request):
        params = request.query_params
        size = _page_size(params)
        if "sort" in params and params["sort"] not in SORT_OPTIONS:
            raise ValidationError({"sort": [_("One of: %s.") % ", ".join(SORT_OPTIONS)]})
        try:
            filterset, page = customer_list(user=request.user, params=params, per_page=size)
        except InvalidCursor:
            key = "before" if "before" in params else "after"
            raise ValidationError(
                {key: [_("Not a page cursor of this list: start again from the first page.")]}
            ) from None
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        items = page.items
        ctx = {
            "request": request,
            "classes": classes.classes_of([c.pk for c in items]),
        }
        base = request.build_absolute_uri(request.path)

        def link(key: str, value: str | None) -> str | None:
            if not value:
                return None
            q = QueryDict(mutable=True)
            q.update({k: v for k, v in params.items() if k not in ("after", "before")})
            q[key] = value
            return f"{base}?{q.urlencode()}"

        return Response(
            {
                "results": CustomerSerializer(items, many=True, context=ctx).data,
                "next": link("after", page.next_cursor),
                "previous": link("before", page.prev_cursor),
                "count": page.count,
                "count_is_capped": page.count_is_capped,
            }
        )

    @extend_schema(
        operation_id="customers_create",
        request=CustomerWriteSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: CustomerSerializer, **WRITE_ERRORS},
        summary="Create a customer (新建客户)",
    )
    @idempotent
    def post(self, request):
        user = request.user
        if not (user.is_rep or can_manage_customers(user)):
            raise PermissionDenied(_("Your role does not create customers."))
        manager = can_manage_customers(user)
        ser = CustomerWriteSerializer(
            data=request.data, assignable=users_assignable_by(user=user) if manager else None
        )
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        confirm = data.pop("confirm_duplicate", False)
        _check_duplicates(user=user, data=data, confirm=confirm, exclude_id=None)
        with transaction.atomic():
            customer = customer_create(actor=user, data=data)
            api_write_log(request, action="customer.create", object_ref=customer.external_code)
        customer = customer_by_code(user=user, code=customer.external_code)
        ctx = {"request": request, "classes": {}}
        return Response(CustomerSerializer(customer, context=ctx).data, status=201)


def _check_duplicates(*, user, data, confirm: bool, exclude_id) -> None:
    if confirm or not ({"name", "phone", "tax_number"} & set(data)):
        return
    found, hidden = customer_duplicates(
        user=user,
        name=data.get("name", ""),
        phone=data.get("phone", ""),
        tax_number=data.get("tax_number", ""),
        exclude_id=exclude_id,
    )
    if found or hidden:
        raise ValidationError(
            {
                "confirm_duplicate": [
                    _(
                        "A customer with the same name, phone or tax number already exists "
                        '(%(n)s). Send "confirm_duplicate": true if this is a different '
                        "customer."
                    )
                    % {"n": ", ".join(c.external_code for c in found) or _("another rep's")}
                ]
            }
        )


class CustomerDetailView(APIView):
    @extend_schema(
        operation_id="customers_get",
        parameters=[CODE],
        responses={200: CustomerSerializer, **ERRORS},
        summary="One customer by code",
    )
    def get(self, request, code: str):
        customer = customer_by_code(user=request.user, code=code)
        ctx = {"request": request, "classes": classes.classes_of([customer.pk])}
        return Response(CustomerSerializer(customer, context=ctx).data)

    @extend_schema(
        operation_id="customers_update",
        parameters=[CODE],
        request=CustomerWriteSerializer,
        responses={200: CustomerSerializer, **WRITE_ERRORS},
        summary="Change a customer's fields (only those sent)",
    )
    def patch(self, request, code: str):
        user = request.user
        customer = customer_by_code(user=user, code=code)
        manager = can_manage_customers(user)
        ser = CustomerWriteSerializer(
            customer,
            data=request.data,
            partial=True,
            assignable=users_assignable_by(user=user) if manager else None,
        )
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        confirm = data.pop("confirm_duplicate", False)
        if not personal_data_visible(user, customer):
            hidden = sorted(set(data) & set(PERSONAL_FIELDS))
            if hidden:
                raise ValidationError(
                    {
                        name: [_("You see this field masked, so you cannot change it.")]
                        for name in hidden
                    }
                )
        changed = {k: v for k, v in data.items() if getattr(customer, k) != v}
        _check_duplicates(
            user=user,
            data={k: v for k, v in changed.items() if k in ("name", "phone", "tax_number")},
            confirm=confirm,
            exclude_id=customer.pk,
        )
        if changed:
            with transaction.atomic():
                customer_update(actor=user, customer=customer, data=changed)
                api_write_log(
                    request,
                    action="customer.update",
                    object_ref=customer.external_code,
                    updated=1,
                )
        customer = customer_by_code(user=user, code=code)
        ctx = {"request": request, "classes": classes.classes_of([customer.pk])}
        return Response(CustomerSerializer(customer, context=ctx).data)


ClassesResponse = inline_serializer(
    "CustomerClasses",
    {
        "run": inline_serializer(
            "RunRef", {"id": serializers.IntegerField(), "as_of": serializers.DateField()}
        ),
        "classes": serializers.ListField(child=serializers.DictField()),
        "history": serializers.ListField(child=serializers.DictField()),
    },
)


class CustomerClassesView(APIView):
    @extend_schema(
        operation_id="customers_classes",
        parameters=[CODE],
        responses={200: ClassesResponse, **ERRORS},
        summary="A customer's classes (客户分类) with reasons, pins and history",
    )
    def get(self, request, code: str):
        customer = customer_by_code(user=request.user, code=code)
        return Response(classes.customer_classes(customer_id=customer.pk))


class ContactListView(APIView):
    @extend_schema(
        operation_id="contacts_list",
        parameters=[CODE],
        responses={200: ContactSerializer(many=True), **ERRORS},
        summary="A customer's contacts (联系人)",
    )
    def get(self, request, code: str):
        customer = customer_by_code(user=request.user, code=code)
        rows = contacts_visible_to(request.user).filter(customer=customer)[:500]
        ctx = {"request": request, "customer": customer}
        return Response(ContactSerializer(rows, many=True, context=ctx).data)

    @extend_schema(
        operation_id="contacts_create",
        parameters=[CODE, IDEMPOTENCY_KEY],
        request=ContactWriteSerializer,
        responses={201: ContactSerializer, **WRITE_ERRORS},
        summary="Add a contact",
    )
    @idempotent
    def post(self, request, code: str):
        customer = customer_by_code(user=request.user, code=code)
        ser = ContactWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        with transaction.atomic():
            contact = contact_save(customer=customer, data=dict(ser.validated_data))
            api_write_log(request, action="contact.create", object_ref=f"{code}/{contact.pk}")
        ctx = {"request": request, "customer": customer}
        return Response(ContactSerializer(contact, context=ctx).data, status=201)


class ContactDetailView(APIView):
    @extend_schema(
        operation_id="contacts_update",
        parameters=[CODE, id_parameter("contact_id")],
        request=ContactWriteSerializer,
        responses={200: ContactSerializer, **WRITE_ERRORS},
        summary="Change a contact (only the fields sent)",
    )
    def patch(self, request, code: str, contact_id: int):
        customer = customer_by_code(user=request.user, code=code)
        contact = Contact.objects.filter(customer=customer, pk=object_id(contact_id)).first()
        if contact is None:
            raise classes_not_found()
        ser = ContactWriteSerializer(contact, data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        if not personal_data_visible(request.user, customer):
            hidden = sorted(set(data) & set(PERSONAL_FIELDS))
            if hidden:
                raise ValidationError(
                    {n: [_("You see this field masked, so you cannot change it.")] for n in hidden}
                )
        with transaction.atomic():
            contact = contact_save(customer=customer, contact=contact, data=data)
            api_write_log(request, action="contact.update", object_ref=f"{code}/{contact.pk}")
        ctx = {"request": request, "customer": customer}
        return Response(ContactSerializer(contact, context=ctx).data)


def classes_not_found():
    from rest_framework.exceptions import NotFound

    return NotFound()


class ContactLogListView(APIView):
    pagination_class = cursor(("-occurred_at", "-id"))

    @extend_schema(
        operation_id="contact_logs_list",
        parameters=[
            CODE,
            CURSOR,
            PAGE_SIZE,
        ],
        responses={200: ContactLogSerializer(many=True), **ERRORS},
        summary="A customer's contact logs (沟通记录), newest first",
    )
    def get(self, request, code: str):
        customer = customer_by_code(user=request.user, code=code)
        qs = contact_logs_visible_to(request.user).filter(customer=customer).select_related("rep")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(ContactLogSerializer(page, many=True).data)

    @extend_schema(
        operation_id="contact_logs_create",
        parameters=[CODE, IDEMPOTENCY_KEY],
        request=ContactLogWriteSerializer,
        responses={201: ContactLogSerializer, **WRITE_ERRORS},
        summary="Log a call, visit or message",
    )
    @idempotent
    def post(self, request, code: str):
        customer = customer_by_code(user=request.user, code=code)
        ser = ContactLogWriteSerializer(data=request.data, customer=customer)
        ser.is_valid(raise_exception=True)
        with transaction.atomic():
            log = contact_log_create(
                actor=request.user, customer=customer, data=dict(ser.validated_data)
            )
            api_write_log(request, action="contact_log.create", object_ref=f"{code}/{log.pk}")
        return Response(ContactLogSerializer(log).data, status=201)


class TransactionListView(APIView):
    pagination_class = cursor(("-date", "-id"))

    @extend_schema(
        operation_id="transactions_list",
        parameters=[CODE, CURSOR, PAGE_SIZE],
        responses={200: TransactionSerializer(many=True), **ERRORS},
        summary="A customer's transactions (交易/订单), newest first",
    )
    def get(self, request, code: str):
        customer = customer_by_code(user=request.user, code=code)
        qs = (
            transactions_visible_to(request.user)
            .filter(customer=customer)
            .select_related("category", "product")
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(TransactionSerializer(page, many=True).data)


class TransactionItemSerializer(serializers.Serializer):
    customer_code = serializers.CharField()
    code = serializers.CharField(required=False, help_text="Order code (订单号): the update key")
    date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0)
    cost = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0, required=False)
    quantity = serializers.IntegerField(min_value=1, required=False)
    category = serializers.CharField(required=False)
    product = serializers.CharField(required=False)
    payment_method = serializers.CharField(required=False)
    status = serializers.CharField(required=False)
    due_date = serializers.DateField(required=False)
    paid_date = serializers.DateField(required=False)
    rep = serializers.CharField(required=False)


BatchRequest = inline_serializer(
    "TransactionBatch", {"items": TransactionItemSerializer(many=True)}
)
BatchResponse = inline_serializer(
    "TransactionBatchResult",
    {
        "rows": serializers.IntegerField(),
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
    },
)


class TransactionBatchView(APIView):
    @extend_schema(
        operation_id="transactions_batch",
        parameters=[IDEMPOTENCY_KEY],
        request=BatchRequest,
        responses={200: BatchResponse, **WRITE_ERRORS, 413: OpenApiTypes.OBJECT},
        summary="Create or update up to 10,000 transactions, all or nothing",
    )
    @idempotent
    def post(self, request):
        data = request.data
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
        unknown = sorted(set(data) - {"items"})
        if unknown:
            raise ValidationError({name: [_("Unknown field.")] for name in unknown})
        with transaction.atomic():
            result = transactions_batch_write(
                actor=request.user, items=data.get("items"), limit=settings.API_BATCH_LIMIT
            )
            api_write_log(
                request,
                action="transactions.batch",
                created=result["created"],
                updated=result["updated"],
            )
        return Response(result, status=status.HTTP_200_OK)
