"""Cluster features run against the devcluster with the shared fixtures of
tests/conftest.py (`admin`, `admin_kubeconfig`, `make_namespace`, `namespace`).

`pod` and `wait_for` live in tests/support; they are importable from here
too because test modules outside this folder still name this module."""

from tests.support.live import pod  # noqa: F401
from tests.support.wait import wait_for  # noqa: F401
