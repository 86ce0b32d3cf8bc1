from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from .views import customers as c
from .views import pages
from .views import work as w

app_name = "api"

v1 = [
    path("v1/customers/", c.CustomerListView.as_view(), name="customers"),
    path("v1/customers/<str:code>/", c.CustomerDetailView.as_view(), name="customer"),
    path("v1/customers/<str:code>/classes/", c.CustomerClassesView.as_view(), name="classes"),
    path("v1/customers/<str:code>/contacts/", c.ContactListView.as_view(), name="contacts"),
    path(
        "v1/customers/<str:code>/contacts/<str:contact_id>/",
        c.ContactDetailView.as_view(),
        name="contact",
    ),
    path(
        "v1/customers/<str:code>/contact-logs/", c.ContactLogListView.as_view(), name="contact_logs"
    ),
    path(
        "v1/customers/<str:code>/transactions/",
        c.TransactionListView.as_view(),
        name="customer_transactions",
    ),
    path("v1/transactions/batch/", c.TransactionBatchView.as_view(), name="transactions_batch"),
    path("v1/tasks/", w.TaskListView.as_view(), name="tasks"),
    path("v1/tasks/<str:task_id>/complete/", w.TaskCompleteView.as_view(), name="task_complete"),
    path("v1/tasks/<str:task_id>/snooze/", w.TaskSnoozeView.as_view(), name="task_snooze"),
    path("v1/playbooks/", w.PlaybookListView.as_view(), name="playbooks"),
    path("v1/playbooks/<str:playbook_id>/", w.PlaybookDetailView.as_view(), name="playbook"),
    path("v1/runs/", w.RunListView.as_view(), name="runs"),
    path("v1/runs/<str:run_id>/", w.RunDetailView.as_view(), name="run"),
    path("v1/class-counts/", w.ClassCountsView.as_view(), name="class_counts"),
]

urlpatterns = [
    # The schema describes the API, not data: public, like the docs page that reads it.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema",
            permission_classes=[AllowAny],
            template_name="api/swagger_ui.html",
        ),
        name="docs",
    ),
    path("tokens/", pages.TokenListView.as_view(), name="tokens"),
    path("tokens/<int:pk>/revoke/", pages.TokenRevokeView.as_view(), name="token_revoke"),
    *v1,
    # Anything else under v1 (a malformed id, a code with a slash): the API's JSON 404, not
    # the site's HTML page.
    path("v1/<path:rest>", pages.ApiNotFoundView.as_view(), name="not_found"),
]
