"""Session renewal without a database write on every request.

The session rule (docs/security.md) is an idle timeout: a session ends SESSION_COOKIE_AGE
after the last request. Django's SESSION_SAVE_EVERY_REQUEST implements it by rewriting the
session row (an UPDATE and a commit) and re-sending the cookie on every single request,
which under load is a write per page view for nothing. This middleware renews the session
at most once per SESSION_RENEW_INTERVAL instead: the expiry moves forward in steps, so a
session ends between SESSION_COOKIE_AGE − SESSION_RENEW_INTERVAL and SESSION_COOKIE_AGE
after the last request (with the defaults, between 1 h 55 min and 2 h).
"""

from __future__ import annotations

import time

from django.conf import settings

RENEWED_AT = "_renewed_at"


class SessionRenewMiddleware:
    """Place right after django.contrib.sessions' SessionMiddleware, which saves a session
    marked modified when the response passes back through it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is None or user is None or not user.is_authenticated:
            # Anonymous visitors (and a session just flushed by log-out) have nothing to renew.
            return response
        if session.session_key is None:
            # Authenticated without a session (an API token, api.authentication): renewing
            # would create a session row per API request.
            return response
        now = int(time.time())
        renewed = session.get(RENEWED_AT)
        interval = settings.SESSION_RENEW_INTERVAL
        if not isinstance(renewed, int) or now - renewed >= interval or now < renewed:
            session[RENEWED_AT] = now  # marks it modified: saved with a fresh expiry
        return response
