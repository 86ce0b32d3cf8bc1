"""Request types for the type checker. Behind LoginRequiredMixin `request.user` is always a
`crm.models.User`, and django-htmx adds `request.htmx`; django-stubs cannot know either, so
views that require a login declare `request: AuthenticatedHttpRequest` instead of casting
at every use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from .models import User

    class AuthenticatedHttpRequest(HttpRequest):
        user: User
        htmx: HtmxDetails

else:
    AuthenticatedHttpRequest = HttpRequest

__all__ = ["AuthenticatedHttpRequest"]
