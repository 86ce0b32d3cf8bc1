"""Audit history in admin (django-simple-history), scoped like the rest of the admin."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin


class ScopedHistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin falls back to the historical rows when an object is not in
    `get_queryset` (so deleted objects keep a history page), and looks a single version up by
    id alone. Customer-bound admins scope `get_queryset` with customers.access, so here an
    object outside the user's scope is "not found" in its history too; the history of a
    deleted object stays readable by administrators only. Nothing is ever reverted from here."""

    def _check_history_scope(self, request, object_id) -> None:
        if self.get_queryset(request).filter(pk=object_id).exists():
            return
        deleted = not self.model._default_manager.filter(pk=object_id).exists()
        if not (deleted and request.user.is_crm_admin):
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._check_history_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._check_history_scope(request, object_id)
        if request.method == "POST" and self.revert_disabled(request):
            # The library only hides the Revert button; a crafted POST would still restore
            # the old version. The audit trail is read-only.
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
