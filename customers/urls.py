from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="list"),
    path("export.<str:fmt>", views.CustomerExportView.as_view(), name="export"),
    path("import/", views.ImportView.as_view(), name="import"),
    path(
        "import/<str:token>/<str:step>/status/",
        views.ImportStatusView.as_view(),
        name="import_status",
    ),
    path(
        "import/<str:token>/skipped.csv",
        views.SkippedRowsView.as_view(),
        name="import_skipped",
    ),
    path("new/", views.CustomerCreateView.as_view(), name="create"),
    path("<int:pk>/", views.CustomerDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.CustomerUpdateView.as_view(), name="edit"),
    path("<int:pk>/timeline/", views.TimelineView.as_view(), name="timeline"),
    path("<int:pk>/log/", views.ContactLogCreateView.as_view(), name="log"),
    path("<int:pk>/contacts/new/", views.ContactEditView.as_view(), name="contact_create"),
    path(
        "<int:pk>/contacts/<int:contact_id>/edit/",
        views.ContactEditView.as_view(),
        name="contact_edit",
    ),
    path("<int:pk>/merge/", views.CustomerMergeView.as_view(), name="merge"),
    path("<int:pk>/tags/", views.CustomerTagsView.as_view(), name="tags"),
]
