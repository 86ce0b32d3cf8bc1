from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Team, User


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "created_at"]
    search_fields = ["name", "region"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = [
        "username",
        "first_name",
        "last_name",
        "role",
        "team",
        "is_director",
        "is_active",
    ]
    list_filter = ["role", "team", "is_director", "is_active"]
    list_select_related = ["team"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Sales role"), {"fields": ("role", "team", "is_director", "phone")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Sales role"), {"fields": ("role", "team", "is_director")}),
    )
