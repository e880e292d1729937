"""The job kinds of the portal; importing this package registers them."""

from clusters.jobs.kinds import drain  # noqa: F401
