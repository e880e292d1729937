"""Logging filters. Loaded while logging is configured, before any app: this
module imports nothing of Django's or the portal's."""

import logging


class ExpectedRefusalFilter(logging.Filter):
    """Logs a 4xx answer at INFO without a traceback (a logging filter on
    django.request and django.server). Django logs every 4xx at WARNING, and a
    PermissionDenied or Http404 raised in a view with its traceback, though a
    refusal (401, 403, 404 hiding another team's object), invalid input or a
    throttle is the portal doing its job. A 5xx is left as it is: ERROR, with
    the traceback that says where it broke."""

    def filter(self, record):
        status_code = getattr(record, "status_code", None)
        if isinstance(status_code, int) and 400 <= status_code < 500 and record.levelno > logging.INFO:
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
            record.exc_info, record.exc_text = None, None
        return True
