"""API permission classes. Reads are always scoped by `for_user()` in the
queryset; these classes decide who may write."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from portal.roles import MANAGING_ROLES, TeamRole


def team_role(user, team) -> str | None:
    if team is None or not user.is_authenticated:
        return None
    return team.role_of(user)


class IsPlatformAdmin(BasePermission):
    message = "Only platform admins may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class IsPlatformAdminOrReadOnly(BasePermission):
    message = "Only platform admins may change this."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or request.user.is_staff


class TeamRolePermission(BasePermission):
    """Writes need a role in the object's team (or platform admin).

    The view names the team of an object (`team_of(obj)`) and of a new object
    (`team_of_new(request)`), and the roles allowed (`write_roles`).
    """

    message = "Your role in this team does not allow this."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS or request.user.is_staff:
            return True
        if view.action == "create":
            team = view.team_of_new(request)
            # No team (or one the user cannot see) is reported by the serializer as a field error.
            return team is None or team_role(request.user, team) in view.write_roles
        return True

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS or request.user.is_staff:
            return True
        return team_role(request.user, view.team_of(obj)) in view.write_roles


OWNER_ONLY = (TeamRole.OWNER,)
MANAGERS = MANAGING_ROLES
