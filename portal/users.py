"""Portal accounts: platform admins create users, deactivate and reactivate
them, grant or withdraw platform-admin rights and set passwords.

Accounts are never deleted: the audit trail and past jobs name them. A
deactivated account cannot sign in, its sessions stop being honoured (Django's
ModelBackend returns no user for an inactive account) and its API tokens are
refused (rbac.authentication); reactivating it restores both.

"Platform admin" is Django's `is_staff`, the flag every permission check reads.
"""

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.errors import PortalError


def _password_checked(password: str, user) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise PortalError(exc.messages[0], field_errors={"password": list(exc.messages)}) from None


def _saved(user):
    try:
        user.full_clean()
    except ValidationError as exc:
        raise PortalError(
            next(iter(exc.message_dict.values()))[0],
            field_errors={field: list(messages) for field, messages in exc.message_dict.items()},
        ) from None
    user.save()
    return user


@transaction.atomic
def user_create(*, username: str, password: str, email: str = "", is_staff: bool = False, is_active: bool = True):
    """A new account; the password must pass the portal's password validators."""
    users = get_user_model()
    if users.objects.filter(username__iexact=username).exists():
        raise PortalError(_("A user with this username exists."), field_errors={"username": [_("Already used.")]})
    user = users(username=username, email=email, is_staff=is_staff, is_active=is_active)
    _password_checked(password, user)
    user.set_password(password)
    return _saved(user)


@transaction.atomic
def user_update(*, user, by, password: str | None = None, **changes):
    """Change an account's email, active state, platform-admin right or password.

    A platform admin cannot withdraw their own admin right or deactivate
    themselves: done by accident by the last admin, nobody could undo it.
    """
    if user.pk == by.pk:
        if changes.get("is_staff") is False:
            raise PortalError(
                _("You cannot remove your own platform-admin right; ask another platform admin."),
                field_errors={"is_staff": [_("Not for your own account.")]},
            )
        if changes.get("is_active") is False:
            raise PortalError(
                _("You cannot deactivate yourself; ask another platform admin."),
                field_errors={"is_active": [_("Not for your own account.")]},
            )
    for field in ("email", "is_staff", "is_active"):
        if field in changes:
            setattr(user, field, changes[field])
    if password is not None:
        _password_checked(password, user)
        user.set_password(password)
    return _saved(user)
