from django.urls import path

from . import views

# No namespace: "home" is the login redirect and the base template's link target.
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
]
