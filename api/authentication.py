"""`Authorization: Bearer <token>`: the token's user, with the token row on request.auth."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import authentication, exceptions

from .tokens import TokenInvalid, token_check

MESSAGES = {
    "malformed": gettext_lazy("The token is malformed."),
    "unknown": gettext_lazy("The token is not valid."),
    "revoked": gettext_lazy("The token was revoked."),
    "expired": gettext_lazy("The token has expired."),
    "inactive": gettext_lazy("The token's user is deactivated."),
}


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Authorization: Bearer <token>, one token."))
        try:
            token = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(str(MESSAGES["malformed"])) from None
        try:
            row = token_check(token)
        except TokenInvalid as exc:
            raise exceptions.AuthenticationFailed(str(MESSAGES[exc.reason])) from None
        return row.user, row

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'
