from django.urls import path

from . import views

app_name = "strategies"

urlpatterns = [
    path("tasks/", views.TaskListView.as_view(), name="tasks"),
    path("tasks/<int:pk>/complete/", views.TaskCompleteView.as_view(), name="task_complete"),
    path("tasks/<int:pk>/snooze/", views.TaskSnoozeView.as_view(), name="task_snooze"),
    path("pool/", views.PoolView.as_view(), name="pool"),
    path("pool/<int:pk>/claim/", views.PoolClaimView.as_view(), name="pool_claim"),
    path("adherence/", views.AdherenceView.as_view(), name="adherence"),
    path("playbooks/", views.PlaybookListView.as_view(), name="playbooks"),
]
