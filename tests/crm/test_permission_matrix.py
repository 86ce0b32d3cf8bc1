"""The permission matrix: every URL pattern of the project, as every persona and as an
anonymous visitor, with objects that belong to rep_alice (team A).

The URL list is discovered from the resolver at collection time, so a page another engineer
adds is walked automatically; a pattern the matrix does not know how to fill in FAILS with
"add it to the matrix" (it is never skipped). Admin URLs are walked in
`test_admin_url_matrix` with rules derived from the registered ModelAdmins.

Expectations: anonymous → redirect to the login page; out of scope → 404 (or 403 where the
role is not allowed at all); in scope → 200 (GET) or a redirect/200/400 (POST, i.e. the view
ran). Every response to someone who must not see alice's customer is searched for the
customer's name, phone and e-mail: none may appear. A refused POST must not change anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.conftest import PERSONAS, SEES_ALICE
from tests.customers.factories import (
    ContactFactory,
    ContactLogFactory,
    CustomerFactory,
    TransactionFactory,
)
from tests.segmentation.factories import ClassPinFactory
from tests.strategies.factories import EnrollmentFactory, RunFactory, TaskFactory

pytestmark = pytest.mark.django_db

ANON = "anonymous"
MARK_NAME = "ALICE-SECRET-客户-7f3a"
MARK_PHONE = "13912345678"
MARK_EMAIL = "alice.secret.7f3a@example.com"
MARKS = (MARK_NAME, MARK_PHONE, MARK_EMAIL)

# What a response must be.
OK = "ok"  # GET: 200. POST: the view ran (200, 302 elsewhere than the login page, 400)
NOT_FOUND = "404"
FORBIDDEN = "403"
DENIED = "403/404"
LOGIN = "login"  # 302 to the login page
METHOD = "405"
REDIRECT = "302"  # a redirect, anywhere but the login page


def discover_patterns() -> list[tuple[str, str]]:
    """(key, route) of every URL pattern; the key is `namespace:name`, or the route when the
    pattern has no name."""
    found: list[tuple[str, str]] = []

    def walk(resolver, prefix: str, namespace: str) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                walk(p, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                key = route  # an unnamed pattern is known by its route
                if p.name:
                    key = f"{namespace}:{p.name}" if namespace else p.name
                found.append((key, route))

    walk(get_resolver(), "", "")
    return found


ALL_PATTERNS = discover_patterns()
# /api/v1/ answers with tokens and 401s, not login redirects: tests/api/test_permission_matrix.py
# walks every one of its routes the same way (and fails for a route it does not know).
SITE_PATTERNS = [(k, r) for k, r in ALL_PATTERNS if not r.startswith(("admin/", "api/v1/"))]
ADMIN_PATTERNS = [(k, r) for k, r in ALL_PATTERNS if r.startswith("admin/")]


@dataclass
class World:
    personas: dict
    customer: Any
    second: Any  # another of alice's customers (merge target)
    contact: Any
    task: Any
    enrollment: Any
    pin: Any
    run: Any
    pool_customer: Any
    api_token: Any = None
    import_token: str = "a" * 32


@pytest.fixture
def world(personas, team_a) -> World:
    alice = personas["rep_alice"]
    customer = CustomerFactory(
        owner=alice, name=MARK_NAME, phone=MARK_PHONE, email=MARK_EMAIL, notes=MARK_NAME
    )
    second = CustomerFactory(owner=alice, name="Alice second customer")
    contact = ContactFactory(customer=customer, name="Alice contact", phone=MARK_PHONE)
    ContactLogFactory(customer=customer, rep=alice)
    TransactionFactory(customer=customer)
    enrollment = EnrollmentFactory(customer=customer)
    task = TaskFactory(customer=customer, enrollment=enrollment, due_on=timezone.localdate())
    pin = ClassPinFactory(customer=customer, created_by=alice)
    run = RunFactory()
    from api.tokens import token_create

    api_token, _secret = token_create(user=alice, name="alice's token")
    pool_customer = CustomerFactory(owner=None, team=team_a, name="Pool customer A")
    return World(
        personas=personas,
        customer=customer,
        second=second,
        contact=contact,
        task=task,
        enrollment=enrollment,
        pin=pin,
        run=run,
        pool_customer=pool_customer,
        api_token=api_token,
    )


def everyone(expect: str = OK) -> dict[str, str]:
    return dict.fromkeys(PERSONAS, expect)


def scoped(seen=SEES_ALICE, outside: str = NOT_FOUND) -> dict[str, str]:
    return {p: OK if p in seen else outside for p in PERSONAS}


def managers_scoped(seen=SEES_ALICE) -> dict[str, str]:
    """Managers' pages on alice's objects: reps are refused outright, other managers 404."""
    return {p: FORBIDDEN if p.startswith("rep_") else OK if p in seen else DENIED for p in PERSONAS}


MANAGERS = {p: FORBIDDEN if p.startswith("rep_") else OK for p in PERSONAS}


@dataclass
class Route:
    kwargs: Callable[[World], dict] | list[Callable[[World], dict]] = field(
        default_factory=lambda: lambda w: {}
    )
    get: dict[str, str] | None = None  # None: GET must be refused (405) - POST-only view
    post: dict[str, str] | None = None  # None: POST is not part of this route's contract
    post_data: Callable[[World], dict] = field(default_factory=lambda: lambda w: {})
    anonymous: str = LOGIN  # what an anonymous visitor gets (GET and POST)
    anonymous_get: str | None = None  # when GET differs for anonymous visitors
    session: Callable[[Any, World, str], None] | None = None  # prepares the client's session
    # Query strings to GET with (each with the same expectations): filters that name
    # another team's objects, ?export=csv|xlsx of pages that export.
    queries: list[Callable[[World], str]] = field(default_factory=lambda: [lambda w: ""])


def _seed_import_token(client, world: World, persona: str) -> None:
    """Only manager_maria's session made the upload; any other session must get a 404."""
    if persona != "manager_maria":
        return
    folder = settings.MEDIA_ROOT
    import pathlib

    path = pathlib.Path(folder) / "imports" / world.import_token / "upload.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("code,name\n", encoding="utf-8")
    path.with_name("skipped.csv").write_text("code,name\n", encoding="utf-8")
    session = client.session
    session["customer_imports"] = {
        world.import_token: {
            "path": str(path),
            "name": "upload.csv",
            "kind": "customers",
            "create_customers": False,
        }
    }
    session.save()


def _dashboard_queries() -> list[Callable[[World], str]]:
    """The page, its exports, and filters naming alice (another team's rep for some)."""
    return [
        lambda w: "",
        lambda w: f"owner={w.personas['rep_alice'].pk}",
        lambda w: f"team={w.customer.team_id}",
        lambda w: "export=csv",
        lambda w: f"owner={w.personas['rep_alice'].pk}&export=csv",
        lambda w: "export=xlsx",
    ]


def cust(w: World) -> dict:
    return {"pk": w.customer.pk}


ONLY_MARIA = {p: OK if p == "manager_maria" else DENIED for p in PERSONAS}

# The matrix. Key: `namespace:name` as the resolver knows it. Add new pages here.
MATRIX: dict[str, Route] = {
    "home": Route(get=everyone()),
    "healthz": Route(get=everyone(), anonymous=OK),
    "login": Route(get=everyone(), anonymous=OK),
    "logout": Route(
        get=everyone(METHOD), post=everyone(LOGIN), anonymous=LOGIN, anonymous_get=METHOD
    ),
    "password_change": Route(get=everyone()),
    "password_change_done": Route(get=everyone()),
    "set_language": Route(
        get=everyone(REDIRECT),
        post=everyone(),
        post_data=lambda w: {"language": "en"},
        anonymous=OK,
        anonymous_get=REDIRECT,
    ),
    "customers:list": Route(get=everyone()),
    "customers:export": Route(
        kwargs=[lambda w: {"fmt": "csv"}, lambda w: {"fmt": "xlsx"}], get=everyone()
    ),
    "customers:import": Route(get=MANAGERS, post=MANAGERS),
    "customers:import_status": Route(
        kwargs=lambda w: {"token": w.import_token, "step": "check"},
        get=ONLY_MARIA,
        session=_seed_import_token,
    ),
    "customers:import_skipped": Route(
        kwargs=lambda w: {"token": w.import_token}, get=ONLY_MARIA, session=_seed_import_token
    ),
    "customers:create": Route(get=everyone(), post=everyone()),
    "customers:detail": Route(kwargs=cust, get=scoped()),
    "customers:edit": Route(
        kwargs=cust, get=scoped(), post=scoped(), post_data=lambda w: {"name": "HACKED"}
    ),
    "customers:timeline": Route(kwargs=cust, get=scoped()),
    "customers:log": Route(
        kwargs=cust,
        post=scoped(),
        post_data=lambda w: {"channel": "call", "summary": "HACKED", "outcome": "reached"},
    ),
    "customers:contact_create": Route(
        kwargs=cust, get=scoped(), post=scoped(), post_data=lambda w: {"name": "HACKED"}
    ),
    "customers:contact_edit": Route(
        kwargs=lambda w: {"pk": w.customer.pk, "contact_id": w.contact.pk},
        get=scoped(),
        post=scoped(),
        post_data=lambda w: {"name": "HACKED", "role": "user"},
    ),
    "customers:merge": Route(
        kwargs=cust,
        get=managers_scoped(),
        post=managers_scoped(),
        post_data=lambda w: {"other_code": w.second.external_code},
    ),
    "strategies:tasks": Route(get=everyone()),
    "strategies:task_complete": Route(kwargs=lambda w: {"pk": w.task.pk}, post=scoped()),
    "strategies:task_snooze": Route(
        kwargs=lambda w: {"pk": w.task.pk}, post=scoped(), post_data=lambda w: {"days": "3"}
    ),
    "strategies:pool": Route(get=everyone()),
    "strategies:pool_claim": Route(
        kwargs=lambda w: {"pk": w.pool_customer.pk},
        post_data=lambda w: {"confirmed": "1"},
        post={
            "rep_alice": OK,
            "rep_amy": OK,
            "rep_bob_other_team": NOT_FOUND,  # another team's pool
            "manager_maria": FORBIDDEN,  # only reps claim
            "manager_mike_other_team": FORBIDDEN,
            "director_dora": FORBIDDEN,
            "admin_ada": FORBIDDEN,
        },
    ),
    "strategies:adherence": Route(get=everyone()),
    "strategies:playbooks": Route(get=everyone()),
    "customers:tags": Route(
        kwargs=cust, post=scoped(), post_data=lambda w: {"tag": "HACKED", "value": "HACKED"}
    ),
    "dashboards:overview": Route(get=everyone(), queries=_dashboard_queries()),
    "dashboards:movements": Route(get=everyone(), queries=_dashboard_queries()),
    "dashboards:funnel": Route(get=everyone(), queries=_dashboard_queries()),
    "dashboards:value": Route(get=everyone(), queries=_dashboard_queries()),
    "dashboards:rfm": Route(get=everyone(), queries=_dashboard_queries()),
    "dashboards:risks": Route(get=everyone(), queries=_dashboard_queries()),
    "dashboards:adherence": Route(get=everyone(), queries=_dashboard_queries()),
    "dashboards:effectiveness": Route(get=everyone(), queries=_dashboard_queries()),
    "dashboards:rep_book": Route(get=everyone(), queries=_dashboard_queries()),
    "segmentation:pin_create": Route(
        kwargs=cust,
        post=scoped(),
        post_data=lambda w: {"target": "lifecycle:loyal", "reason": "HACKED"},
    ),
    # The API's schema and docs describe the API (no data): public.
    "api:schema": Route(get=everyone(), anonymous=OK),
    "api:docs": Route(get=everyone(), anonymous=OK),
    "api:tokens": Route(
        get=everyone(), post=everyone(), post_data=lambda w: {"name": "t", "expires": "30"}
    ),
    # Only one's own tokens: alice's token is "missing" for everyone else, admins included.
    "api:token_revoke": Route(
        kwargs=lambda w: {"pk": w.api_token.pk},
        post={p: OK if p == "rep_alice" else NOT_FOUND for p in PERSONAS},
    ),
    "segmentation:pin_delete": Route(
        kwargs=lambda w: {"pk": w.customer.pk, "pin_id": w.pin.pk}, post=scoped()
    ),
}


def _snapshot(world: World) -> tuple:
    """What a refused POST must leave alone."""
    from api.models import ApiToken
    from customers.models import Contact, ContactLog, Customer
    from segmentation.models import ClassPin
    from strategies.models import Task

    c = Customer.objects.get(pk=world.customer.pk)
    pool = Customer.objects.get(pk=world.pool_customer.pk)
    task = Task.objects.get(pk=world.task.pk)
    return (
        c.name,
        c.owner_id,
        c.updated_at,
        Customer.objects.filter(pk=world.second.pk).exists(),
        pool.owner_id,
        list(Contact.objects.filter(customer=c).values_list("name", "phone")),
        ContactLog.objects.filter(customer=c).count(),
        task.status,
        task.due_on,
        list(ClassPin.objects.filter(customer=c).values_list("pk", "reason")),
        list(ApiToken.objects.values_list("pk", "revoked_at").order_by("pk")),
    )


def _body(response) -> str:
    if getattr(response, "streaming", False):
        data = b"".join(response.streaming_content)
    else:
        data = response.content
    return data.decode("utf-8", errors="replace")


def _check(response, expect: str, *, method: str, where: str) -> None:
    status = response.status_code
    location = response.get("Location", "")
    login = reverse(settings.LOGIN_URL)
    if expect == LOGIN:
        assert status == 302, f"{where}: expected a login redirect, got {status}"
        assert location.startswith(login), f"{where}: redirected to {location}, not to login"
    elif expect == OK and method == "get":
        assert status == 200, f"{where}: expected 200, got {status} {location}"
    elif expect == OK:
        assert status in (200, 302, 400), f"{where}: expected the view to run, got {status}"
        assert not location.startswith(login), f"{where}: sent to the login page"
    elif expect == NOT_FOUND:
        assert status == 404, f"{where}: expected 404, got {status}"
    elif expect == FORBIDDEN:
        assert status == 403, f"{where}: expected 403, got {status}"
    elif expect == DENIED:
        assert status in (403, 404), f"{where}: expected 403 or 404, got {status}"
    elif expect == REDIRECT:
        assert status == 302, f"{where}: expected a redirect, got {status}"
        assert not location.startswith(login), f"{where}: sent to the login page"
    elif expect == METHOD:
        assert status == 405, f"{where}: expected 405, got {status}"
    else:  # pragma: no cover - a typo in the matrix
        raise AssertionError(f"unknown expectation {expect!r}")


SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def check_headers(response, *, where: str, html_rules: bool = True) -> None:
    """Every answer carries the strict CSP and refuses framing; an HTML page has no inline
    script, style attribute or on*= handler (CSP would block them, so they would be bugs)."""
    csp = response.get("Content-Security-Policy", "")
    directives = dict(
        [*part.strip().split(" ", 1), ""][:2] for part in csp.split(";") if part.strip()
    )
    for name in ("script-src", "style-src"):
        assert directives.get(name) == "'self'", f"{where}: {name} is {directives.get(name)!r}"
    assert directives.get("frame-ancestors") == "'none'", where
    assert directives.get("object-src") == "'none'", where
    assert response.get("X-Frame-Options") == "DENY", where
    assert response.get("X-Content-Type-Options") == "nosniff", where
    if html_rules and response.get("Content-Type", "").startswith("text/html"):
        body = _body(response)
        for tag in SCRIPT_TAG.findall(body):
            # json_script data blocks are inert; everything else must be a file.
            assert " src=" in tag or 'type="application/json"' in tag, f"{where}: {tag}"
        for rule, what in (
            (INLINE_HANDLER, "an on*= handler"),
            (INLINE_STYLE, "a style= attribute"),
        ):
            found = rule.search(body)
            assert found is None, f"{where}: {what}: {found.group(0)[:120] if found else ''}"


def _kwargs_list(route: Route, world: World) -> list[dict]:
    makers = route.kwargs if isinstance(route.kwargs, list) else [route.kwargs]
    return [make(world) for make in makers]


@pytest.mark.parametrize("key", [k for k, _ in SITE_PATTERNS])
def test_url_matrix(client, world, key):
    """One URL as every persona. Each persona's requests run in a savepoint that is rolled
    back, so a POST that succeeds (a merge, a claim) does not change the next persona's
    world, and the world is built once per URL."""
    route = MATRIX.get(key)
    if route is None:
        pytest.fail(
            f"URL {key!r} is not in the permission matrix: add it to the matrix in "
            f"tests/crm/test_permission_matrix.py (who may GET/POST it, with which objects)",
            pytrace=False,
        )
    for persona in [ANON, *PERSONAS]:
        client.logout()
        with transaction.atomic():
            _walk_as(client, world, key, route, persona)
            transaction.set_rollback(True)


def _walk_as(client, world: World, key: str, route: Route, persona: str) -> None:
    if persona != ANON:
        client.force_login(world.personas[persona])
    if route.session:
        route.session(client, world, persona)
    sees_alice = persona in SEES_ALICE
    for kwargs, query in [(k, q(world)) for k in _kwargs_list(route, world) for q in route.queries]:
        url = reverse(key, kwargs=kwargs) + (f"?{query}" if query else "")
        # GET
        expect_get = (
            route.anonymous
            if persona == ANON
            else (route.get[persona] if route.get is not None else METHOD)
        )
        if persona == ANON and route.anonymous_get:
            expect_get = route.anonymous_get
        response = client.get(url)
        _check(response, expect_get, method="get", where=f"GET {url} as {persona}")
        if not getattr(response, "streaming", False):
            check_headers(response, where=f"GET {url} as {persona}")
        if not sees_alice:
            body = _body(response)
            for mark in MARKS:
                assert mark not in body, f"GET {url} as {persona} shows {mark!r}"
        # POST
        if route.post is None:
            continue
        before = _snapshot(world)
        expect_post = route.anonymous if persona == ANON else route.post[persona]
        response = client.post(url, route.post_data(world))
        _check(response, expect_post, method="post", where=f"POST {url} as {persona}")
        if expect_post != OK:
            assert _snapshot(world) == before, f"POST {url} as {persona} changed data"
        if not sees_alice:
            body = _body(response)
            for mark in MARKS:
                assert mark not in body, f"POST {url} as {persona} shows {mark!r}"


def test_matrix_has_no_stale_entries():
    """An entry for a URL that no longer exists is a matrix that tests nothing."""
    keys = {k for k, _ in SITE_PATTERNS}
    assert set(MATRIX) - keys == set()


# --- Admin ---------------------------------------------------------------------------------

# Per-model admin URLs follow Django's names; everything else under admin/ is listed here.
ADMIN_MODEL_URL = re.compile(r"^admin:(?P<app>\w+?)_(?P<model>[a-z0-9]+)_(?P<what>\w+)$")
ADMIN_STANDARD = {"changelist", "add", "history", "delete", "change", "simple_history"}
ADMIN_OTHER: dict[str, dict] = {
    "admin:index": {},
    "admin:login": {"public": True},
    "admin:logout": {"post_only": True},
    "admin:password_change": {},
    "admin:password_change_done": {},
    "admin:autocomplete": {},
    "admin:jsi18n": {},
    "admin:app_list": {"kwargs": {"app_label": "customers"}},
    "admin:view_on_site": {"kwargs": {"content_type_id": "1", "object_id": "1"}},
    "admin:segmentation_customdimension_preview": {"kwargs": lambda w: {"pk": 999999}},
    "admin:segmentation_ruleset_preview": {"kwargs": {"key": "0" * 32}},
    "admin:auth_user_password_change": {"kwargs": lambda w: {"id": w.personas["rep_alice"].pk}},
    # Only administrators start a run, and only with POST.
    "admin:segmentation_run_now": {"admin_only_post": True},
}
# Unnamed admin patterns: the `<id>/` redirect to the change page and the catch-all.
ADMIN_UNNAMED = re.compile(r"^admin/(\w+/\w+/<path:object_id>/|\(\?P<url>\.\*\)\$)$")


def _alice_object_for(model, world: World):
    """An object of `model` that belongs to alice's customer, if the model hangs off one."""
    from customers.models import Customer

    if model is Customer:
        return world.customer
    names = {f.name for f in model._meta.get_fields()}
    for fk in ("customer", "referrer"):
        if fk in names:
            obj = model._default_manager.filter(**{fk: world.customer}).first()
            if obj is not None:
                return obj
    return None


def _grant_all_view_perms(world: World) -> None:
    """The worst case an administrator could configure: managers may view every model. What
    they see must still be scoped to their team."""
    perms = list(Permission.objects.filter(codename__startswith="view_"))
    perms += list(Permission.objects.filter(codename__startswith="change_"))
    for name in ("manager_maria", "manager_mike_other_team", "director_dora"):
        world.personas[name].user_permissions.add(*perms)


@pytest.mark.parametrize(("key", "route"), ADMIN_PATTERNS, ids=[k for k, _ in ADMIN_PATTERNS])
def test_admin_url_matrix(client, world, key, route):
    """Anonymous visitors and reps (not staff) are sent to the admin login from every admin
    URL; another team's manager, even with view permission on every model, never sees alice's
    customer (nor its records) anywhere in admin."""
    from django.contrib import admin as django_admin

    if key.startswith("admin/") and ADMIN_UNNAMED.match(key):
        return _admin_unnamed(client, world, route)
    match = ADMIN_MODEL_URL.match(key)
    model = None
    if match and match["what"] in ADMIN_STANDARD:
        model = next(
            (
                m
                for m in django_admin.site._registry
                if m._meta.app_label == match["app"] and m._meta.model_name == match["model"]
            ),
            None,
        )
    if model is None and key not in ADMIN_OTHER:
        pytest.fail(
            f"admin URL {key!r} is not in the permission matrix: add it to ADMIN_OTHER in "
            f"tests/crm/test_permission_matrix.py",
            pytrace=False,
        )
    _grant_all_view_perms(world)
    admin_login = reverse("admin:login")
    if model is not None:
        obj = _alice_object_for(model, world)
        kwargs = {}
        if "<path:object_id>" in route:
            any_obj = model._default_manager.first()
            kwargs["object_id"] = str((obj or any_obj).pk) if (obj or any_obj) else "999999"
        if match["what"] == "simple_history":  # one audited version (django-simple-history)
            target = obj or model._default_manager.first()
            version = target.history.order_by("-history_id").first() if target else None
            url = reverse(
                key,
                args=[
                    str(target.pk) if target else "999999",
                    str(version.history_id) if version else "999999",
                ],
            )
        else:
            url = reverse(key, kwargs=kwargs)
        spec: dict = {}
    else:
        spec = ADMIN_OTHER[key]
        kwargs = spec.get("kwargs", {})
        url = reverse(key, kwargs=kwargs(world) if callable(kwargs) else kwargs)
        obj = None

    # Anonymous and non-staff: the admin login page, never the content.
    for persona in (ANON, "rep_alice", "rep_bob_other_team"):
        client.logout()
        if persona != ANON:
            client.force_login(world.personas[persona])
        response = client.get(url)
        if spec.get("public"):
            assert response.status_code == 200
            continue
        if spec.get("post_only"):
            assert response.status_code in (302, 405), (url, persona, response.status_code)
            continue
        assert response.status_code == 302, (url, persona, response.status_code)
        assert response["Location"].startswith(admin_login), (url, persona, response["Location"])

    # Another team's manager: never alice's data.
    client.logout()
    client.force_login(world.personas["manager_mike_other_team"])
    response = client.get(url, follow=True)
    body = _body(response)
    for mark in MARKS:
        assert mark not in body, f"{url} shows {mark!r} to manager_mike_other_team"
    if (
        obj is not None
        and match
        and match["what"]
        in (
            "change",
            "history",
            "delete",
            "simple_history",
        )
    ):
        reached = response.status_code == 200 and not response.redirect_chain
        assert not reached, f"{url}: mike reached alice's {model.__name__}"
    if spec.get("admin_only_post"):
        assert client.post(url).status_code == 403
        client.logout()
        client.force_login(world.personas["admin_ada"])
        assert client.get(url).status_code == 403  # GET never starts a run
        return None

    # Alice's own manager and the administrator reach alice's objects.
    if obj is not None and match and match["what"] in ("change", "history", "simple_history"):
        for persona in ("manager_maria", "admin_ada"):
            client.logout()
            client.force_login(world.personas[persona])
            response = client.get(url)
            assert response.status_code == 200, (url, persona, response.status_code)
    return None


def _admin_unnamed(client, world: World, route: str) -> None:
    url = "/" + route.replace("(?P<url>.*)$", "some/unknown/page/").replace(
        "<path:object_id>", str(world.customer.pk)
    )
    client.logout()
    response = client.get(url)
    assert response.status_code in (301, 302, 404), (url, response.status_code)
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("admin:login")) or response[
            "Location"
        ].endswith("/change/"), response["Location"]
    client.force_login(world.personas["manager_mike_other_team"])
    _grant_all_view_perms(world)
    body = _body(client.get(url, follow=True))
    for mark in MARKS:
        assert mark not in body, f"{url} shows {mark!r} to manager_mike_other_team"


def test_every_persona_is_in_the_matrix():
    for key, route in MATRIX.items():
        for table in (route.get, route.post):
            if table is not None:
                assert set(table) == set(PERSONAS), key
