"""Form bases shared by the apps."""

from django import forms


class PortalModelForm(forms.ModelForm):
    """A model form that knows who is asking (for scoped choices)."""

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

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
