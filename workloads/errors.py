"""One mapping from what the API server said to what the portal answers.

`clusters.kube.translate` already turns every failure into a `KubeError` with
the HTTP status the portal answers (400 invalid, 403 forbidden or over quota,
404, 409, 410, 503 unreachable, 502 otherwise: never a 500). Here that error is
shaped for someone who sent manifests: the API server's field paths become
field errors (prefixed by the document when several were sent), a conflict
says to reload, and an invalid answer without causes still names what failed.
"""

from contextlib import contextmanager

from django.utils.translation import gettext_noop

from clusters import kube
from portal.errors import PortalError
from portal.stored_text import Message, join, render

NON_FIELD = "non_field_errors"


class NotAllowed(PortalError):
    """The portal's own refusal, before the API server is asked."""

    status_code = 403
    error_type = "forbidden"


class NoSuchAction(PortalError):
    """The kind has no such action (a ConfigMap does not scale)."""

    status_code = 405
    error_type = "method_not_allowed"


def document_field(field: str, document: int | None) -> str:
    """A field path inside document `document` of several ("documents[1].spec.replicas")."""
    if document is None:
        return field
    return f"documents[{document}]" + (f".{field}" if field and field != NON_FIELD else "")


def portal_error(exc: kube.KubeError, *, document: int | None = None, name: str = "") -> PortalError:
    """The API error for a failed call about one object (`document` of several).
    Its text stays parts (the name, the cluster's message), so a page can mark
    what the cluster said as such (`portal.stored_text.html`)."""
    where = Message(gettext_noop("%(name)s: "), name=name) if name else ""
    if isinstance(exc, kube.KubeInvalid):
        field_errors = {}
        for field, messages in (exc.field_errors or {NON_FIELD: [exc.message]}).items():
            field_errors.setdefault(document_field(field, document), []).extend(messages)
        return kube.KubeInvalid(join(where, exc.text), field_errors=field_errors)
    if isinstance(exc, kube.KubeConflict):
        hint = Message(gettext_noop("Someone changed it meanwhile: reload it and apply your change again."))
        return kube.KubeConflict(join(where, exc.text, " ", hint))
    if where and not exc.message.startswith(render(where)):
        return type(exc)(join(where, exc.text), field_errors=exc.field_errors)
    return exc


@contextmanager
def mapped(*, document: int | None = None, name: str = ""):
    """Map any KubeError raised inside the block (see `portal_error`)."""
    try:
        yield
    except kube.KubeError as exc:
        raise portal_error(exc, document=document, name=name) from exc
