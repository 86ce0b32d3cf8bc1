from django.urls import path

from . import views

app_name = "segmentation"

urlpatterns = [
    path("customers/<int:pk>/pins/", views.PinCreateView.as_view(), name="pin_create"),
    path(
        "customers/<int:pk>/pins/<int:pin_id>/delete/",
        views.PinDeleteView.as_view(),
        name="pin_delete",
    ),
]
