"""Polling: the one wait-until of the suite."""

import time

import pytest

from clusters import kube

# Errors that mean "not yet" while a controller or an informer catches up (a
# 404 for an object about to be made, a 403 for a binding not yet seen): the
# portal's translated ones and the official client's.
NOT_YET = (kube.KubeError, kube.ApiException)


def wait_for(check, timeout: float = 30.0, interval: float = 0.2, what: str = "condition", retry_on=NOT_YET):
    """Call `check` until it returns a truthy value and return that value; an
    exception of `retry_on` counts as "not yet". Fails the test after `timeout`
    seconds, naming `what` and the last answer."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = check()
        except retry_on as exc:
            last = exc
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}; last: {last!r}")
        time.sleep(interval)
