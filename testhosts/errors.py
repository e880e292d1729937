class TestHostsError(Exception):
    """Test hosts cannot be started or stopped here (missing tool, no root, failed build)."""

    __test__ = False  # not a pytest test class, despite the name
