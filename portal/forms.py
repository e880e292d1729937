"""Form bases shared by the apps."""

from django import forms
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString


def _with_code(text, code: dict) -> SafeString:
    return format_html(str(text), **{name: format_html("<code>{}</code>", value) for name, value in code.items()})


def code_help(text, **code):
    """A help text (lazy, translated when shown) whose `{name}` placeholders
    are filled with code: an example people type as it is in every language,
    `code_help(gettext_lazy("e.g. {example}"), example="apps")`."""
    return lazy(_with_code, SafeString)(text, code)


class PortalModelForm(forms.ModelForm):
    """A model form that knows who is asking (for scoped choices)."""

    # Groups of fields the form page shows as fieldsets: (legend, help text, field names).
    # Fields in no group come first, without a legend.
    fieldsets = ()

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def field_groups(self) -> list[tuple]:
        """(legend, help text, bound fields) for the form page, in order; fields
        the form has dropped (by who asks) are left out, and so are empty groups."""
        grouped = {name for _legend, _help, names in self.fieldsets for name in names}
        loose = [field for field in self.visible_fields() if field.name not in grouped]
        groups = [(None, None, loose)] if loose else []
        for legend, help_text, names in self.fieldsets:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                groups.append((legend, help_text, fields))
        return groups

    def _post_clean(self):
        # Model validation runs in the services, which the API shares; a form
        # only checks its fields here.
        pass


class SecretField(forms.CharField):
    """A secret input that never renders a stored value back."""

    def __init__(self, *, textarea=False, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", False)
        widget = (
            forms.Textarea(attrs={"rows": 8, "autocomplete": "off", "spellcheck": "false"})
            if textarea
            else forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
        )
        super().__init__(widget=widget, **kwargs)

    def prepare_value(self, value):
        return ""
