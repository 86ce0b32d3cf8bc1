from rest_framework.permissions import BasePermission


class IsActiveUser(BasePermission):
    """Any active, logged-in CRM user; what they see is decided by customers.access."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)


class IsCrmAdmin(BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_crm_admin)
