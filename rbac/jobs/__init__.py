"""Job kinds of the tenancy app; importing this package registers them."""

from rbac.jobs import namespace_delete  # noqa: F401
