from django.urls import path

from . import views, views_playbooks

app_name = "dashboards"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("adherence/", views_playbooks.AdherenceDashboardView.as_view(), name="adherence"),
    path(
        "effectiveness/",
        views_playbooks.EffectivenessDashboardView.as_view(),
        name="effectiveness",
    ),
    path("rep-book/", views_playbooks.RepBookView.as_view(), name="rep_book"),
]
