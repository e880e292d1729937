"""Test hosts' own tests. The fixtures come from testhosts.pytest_plugin
(registered in tests/conftest.py): `testhosts(n)` starts fresh hosts for one
test, `testhosts_shared` three hosts for the session. Helpers: `ssh` (the real
OpenSSH client) and `connect` (paramiko) in tests/testhosts/clients.py."""

import pytest


@pytest.fixture
def hosts(testhosts_shared):
    """The session's three hosts; what a test starts on them it stops itself."""
    return testhosts_shared
