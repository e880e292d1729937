"""Text that background work stores and people read later, in their language.

A worker has no reader: whatever language it wrote in would be the wrong one
for someone. So it stores a message id with its parameters, and the page or
the API translates when it shows it, in the reader's active language:

    Message(gettext_noop("Step %(position)s: %(title)s"), position=2, title=title)

The msgid is marked with `gettext_noop` so makemessages extracts it; a
parameter may itself be a Message (a step's title inside a failure). Stored
text is JSON: a message is {"msgid": ..., "params": {...}}, a plain string is
shown as it is (a host's output, a Kubernetes API error), and a list joins its
parts. Rows written before this existed keep only their plain column: `shown()`
falls back to it.
"""

from __future__ import annotations

import logging

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

logger = logging.getLogger(__name__)


class Message:
    """A msgid and its parameters; `str()` translates in the active language,
    `english()` does not (what the plain columns and logs keep)."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, /, **params):
        self.msgid = msgid
        self.params = params

    def __str__(self) -> str:
        return render(self)

    def __repr__(self) -> str:
        return f"Message({self.msgid!r}, {self.params!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Message) and (self.msgid, self.params) == (other.msgid, other.params)

    def __hash__(self):
        return hash(self.msgid)

    def english(self) -> str:
        return render(self, translate=False)


def join(*parts) -> list:
    """Parts shown one after the other: strings as they are, messages translated."""
    return [part for part in parts if part not in ("", None)]


def to_json(value):
    """What a JSON field stores for `value` (a Message, a string, or parts)."""
    if isinstance(value, Message):
        return {"msgid": value.msgid, "params": {key: to_json(param) for key, param in value.params.items()}}
    if isinstance(value, (list, tuple)):
        return [to_json(part) for part in value]
    if isinstance(value, (str, int, float)) or value is None:
        return value
    return str(value)  # a lazy translation or anything else: as it reads now


def from_json(data):
    """The inverse of `to_json`: a Message, parts, or the plain value."""
    if isinstance(data, dict) and isinstance(data.get("msgid"), str):
        params = data.get("params") if isinstance(data.get("params"), dict) else {}
        return Message(data["msgid"], **{str(key): from_json(param) for key, param in params.items()})
    if isinstance(data, list):
        return [from_json(part) for part in data]
    return data


def render(value, *, translate: bool = True) -> str:
    """`value` (a Message, parts, a string, or its JSON) as text, translated
    in the active language unless `translate` is false."""
    return _compose(value, translate=translate, as_html=False)


def html(value) -> SafeString:
    """`value` as HTML, translated like `render`. What the portal says is
    escaped; what it quotes (a parameter or a part that is plain text: the
    cluster's or a host's own words, a name) is marked translate="no", so a
    reader's translator, and the crawl's check for English on a Chinese page,
    do not take it for the portal's sentence."""
    # Safe: every sentence is escaped by _compose, every parameter and part by _inner.
    return mark_safe(_compose(value, translate=True, as_html=True))  # noqa: S308


def _compose(value, *, translate: bool, as_html: bool) -> str:
    value = from_json(value) if isinstance(value, (dict, list)) else value
    if isinstance(value, list):
        return "".join(str(_inner(part, translate=translate, as_html=as_html)) for part in value)
    if not isinstance(value, Message):
        text = "" if value is None else value
        return conditional_escape(text) if as_html else str(text)
    params = {key: _inner(param, translate=translate, as_html=as_html) for key, param in value.params.items()}

    def filled(sentence: str) -> str:
        sentence = conditional_escape(sentence) if as_html else sentence
        return sentence % params if params else sentence

    try:
        return filled(gettext(value.msgid) if translate else value.msgid)
    except (KeyError, ValueError, TypeError):
        # A translation whose placeholders differ from the msgid's: the English sentence, not a 500.
        logger.warning("Translation of %r does not take its parameters", value.msgid)
    try:
        return filled(value.msgid)
    except (KeyError, ValueError, TypeError):
        return conditional_escape(value.msgid) if as_html else value.msgid


def _inner(value, *, translate: bool, as_html: bool):
    """A parameter or part: numbers stay numbers (for %(count)d), messages
    and parts become their text; in HTML, quoted text is marked."""
    if isinstance(value, (Message, list, dict)):
        return _compose(value, translate=translate, as_html=as_html)
    if not as_html or isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and value.strip():
        return format_html('<span translate="no">{}</span>', value)
    return conditional_escape(value)  # spaces between parts, a lazy translation: the portal's words


class Shown(str):
    """`value` (a Message, parts or text) as the reader reads it now: a str,
    whose HTML form (`__html__`, which Django's templates use) is `html`.
    PortalError.message is one, so a page showing an error marks the
    cluster's words in it without knowing where they came from. Joined to
    other text it is a plain str again, and shown plainly escaped."""

    def __new__(cls, value):
        shown = super().__new__(cls, render(value))
        shown.value = value
        return shown

    def __html__(self) -> SafeString:
        return html(self.value)


def english(value) -> str:
    return render(value, translate=False)


def shown(stored, plain) -> str:
    """The text for a reader: `stored` translated when a row has it, else
    the row's `plain` text (rows from before, or text that is no message)."""
    if stored in (None, "", {}, []):
        return "" if plain is None else str(plain)
    return render(stored)


def redact(value, secrets: list[str], replace) -> object:
    """`value` (a Message, parts or string) with `replace(text, secrets)`
    applied to every string in it: no secret reaches a parameter either."""
    if isinstance(value, Message):
        return Message(value.msgid, **{key: redact(param, secrets, replace) for key, param in value.params.items()})
    if isinstance(value, list):
        return [redact(part, secrets, replace) for part in value]
    if isinstance(value, str):
        return replace(value, secrets)
    return value
