import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The standing users are made for every test; real hashing would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
