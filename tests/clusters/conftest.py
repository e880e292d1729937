"""Cluster features run against the devcluster with the shared fixtures of
tests/conftest.py (`admin`, `admin_kubeconfig`, `make_namespace`, `namespace`);
helpers such as `pod` and `wait_for` come from tests/support."""
