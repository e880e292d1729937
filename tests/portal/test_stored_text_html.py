"""Stored text as HTML (portal/stored_text.py `html`, `Shown`): the portal's
sentence translated and escaped, the words it quotes (the cluster's, a
host's, a name) escaped and marked translate="no"; an error's message keeps
that form on a page and is a plain str everywhere else."""

import pickle

from django import forms
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy

from portal.errors import PortalError
from portal.stored_text import Message, Shown, html, join

FORBIDDEN = "Forbidden by the cluster: %(message)s"
SAID = 'roles.rbac.authorization.k8s.io "<x>" is forbidden: User "a&b" cannot get resource'


def page(value) -> str:
    return Template("<p>{{ value }}</p>").render(Context({"value": value}))


def test_the_clusters_words_are_escaped_and_marked_inside_the_translated_sentence():
    escaped = SAID.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    with translation.override("zh-hans"):
        shown = html(Message(FORBIDDEN, message=SAID))
    assert shown == f'被集群禁止：<span translate="no">{escaped}</span>'
    with translation.override("en"):
        assert html(Message(FORBIDDEN, message=SAID)).startswith('Forbidden by the cluster: <span translate="no">')


def test_nothing_a_parameter_or_part_carries_reaches_the_page_as_markup():
    script = "<script>alert(1)</script>"
    nested = Message("%(name)s: ", name=script)
    for value in (Message(FORBIDDEN, message=Message(FORBIDDEN, message=script)), join(nested, script), script):
        assert "<script>" not in html(value) and "&lt;script&gt;" in html(value)
    # A lazy translation is the portal's own words: escaped, not marked.
    with translation.override("en"):
        assert html(Message(FORBIDDEN, message=gettext_lazy("Reload"))) == "Forbidden by the cluster: Reload"


def test_numbers_stay_numbers_and_spaces_between_parts_are_the_portals():
    with translation.override("en"):
        counted = html(Message("%(count)d of %(total)d hosts", count=2, total=3))
        assert counted == "2 of 3 hosts"
        parts = html(join(Message("%(name)s: ", name="web"), "said", " ", "again"))
    assert (
        parts == '<span translate="no">web</span>: <span translate="no">said</span> <span translate="no">again</span>'
    )


def test_an_errors_message_is_a_str_whose_page_form_marks_the_quote():
    with translation.override("en"):
        error = PortalError(Message(FORBIDDEN, message="pods is forbidden"))
        plain = PortalError("Type the name <web> to confirm.")
        assert error.message == "Forbidden by the cluster: pods is forbidden" == error.args[0]
        assert page(error.message) == '<p>Forbidden by the cluster: <span translate="no">pods is forbidden</span></p>'
        # Joined to other text it is plain text again, escaped as any other.
        assert page("Deleting: " + error.message) == "<p>Deleting: Forbidden by the cluster: pods is forbidden</p>"
        # The portal's own plain sentence is not a quotation.
        assert page(plain.message) == "<p>Type the name &lt;web&gt; to confirm.</p>"
    # A task's result or a cache keeps it (pickled) with its parts.
    kept = pickle.loads(pickle.dumps(error.message))
    assert isinstance(kept, Shown) and kept == error.message and kept.value == error.message.value


class NameForm(forms.Form):
    name = forms.CharField(max_length=3)


def test_a_forms_errors_keep_the_mark_in_every_shared_form_template():
    form = NameForm({"name": "four"})
    assert not form.is_valid()
    with translation.override("en"):
        form.add_error(None, PortalError(Message(FORBIDDEN, message="pods <x> is forbidden")).message)
        form.add_error(None, "Plain <b>")
        for template in ("portal/_form_fields.html", "generic/object_form.html"):
            written = render_to_string(template, {"form": form})
            assert (
                '<ul class="errorlist nonfield"><li>Forbidden by the cluster: '
                '<span translate="no">pods &lt;x&gt; is forbidden</span></li><li>Plain &lt;b&gt;</li></ul>'
            ) in written, template
            # Django's own messages, with their parameters, read as Django writes them.
            assert "Ensure this value has at most 3 characters (it has 4)." in written
