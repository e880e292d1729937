from django.contrib import admin

from portal.teams import Membership, Team
from rbac.models import ApiToken, QuotaPlan, TeamNamespace


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "max_namespaces", "auto_approve_namespaces"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]


@admin.register(QuotaPlan)
class QuotaPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "requests_cpu", "requests_memory", "pods"]


@admin.register(TeamNamespace)
class TeamNamespaceAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "cluster", "plan", "phase"]
    list_filter = ["phase", "cluster"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "key_prefix", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "key_prefix", "created", "last_used_at"]
    exclude = ["key_hash"]
