"""Users through the shared generic API cases: platform admins only, no
delete (deactivate instead); tests/portal/test_users_api.py covers the rest."""

from django.contrib.auth import get_user_model

from tests.api.generic import APIResourceTests
from tests.api.test_permissions import ANON
from tests.api.test_permissions import PLATFORM_ONLY as NON_ADMIN  # refused everything, even a DELETE


class TestUsers(APIResourceTests):
    url = "/api/v1/users/"
    basename = "user"
    kind = "User"
    matrix = {
        #              list  sees  get  create update delete
        "admin": (200, "ab", 200, 201, 200, 405),
        "owner": NON_ADMIN,
        "maintainer": NON_ADMIN,
        "developer": NON_ADMIN,
        "viewer": NON_ADMIN,
        "outsider": NON_ADMIN,
        "anonymous": ANON,
    }

    def make_a(self, world):
        return get_user_model().objects.create_user(username="user-a", password="unused-pass-a1")

    def make_b(self, world):
        return get_user_model().objects.create_user(username="user-b", password="unused-pass-b1")

    def create_payload(self, world):
        return {"username": "user-new", "password": "a-long-enough-passphrase-7", "email": "new@example.test"}

    def update_payload(self, world, obj):
        return {"email": "changed@example.test", "is_staff": True}

    def audit_name(self, obj):
        return obj.username
