from django.urls import path

from . import views, views_playbooks

app_name = "dashboards"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("movements/", views.MovementsView.as_view(), name="movements"),
    path("funnel/", views.FunnelView.as_view(), name="funnel"),
    path("value/", views.ValueView.as_view(), name="value"),
    path("rfm/", views.RfmView.as_view(), name="rfm"),
    path("risks/", views.RisksView.as_view(), name="risks"),
    path("adherence/", views_playbooks.AdherenceDashboardView.as_view(), name="adherence"),
    path(
        "effectiveness/",
        views_playbooks.EffectivenessDashboardView.as_view(),
        name="effectiveness",
    ),
    path("rep-book/", views_playbooks.RepBookView.as_view(), name="rep_book"),
]
