"""Create forms for who may do what: Roles and ClusterRoles (a rules editor,
and for ClusterRoles the built-in roles they aggregate into) and their
bindings (a role and the subjects bound to it, a portal team among them).

Like the workload forms (workloads/forms_create.py, registered into its
FORMS below) they make manifests that go through the same checked,
impersonated server-side apply, previewed with the API server's dry run.
Verbs are checked against what RBAC's authorizer acts on
(workloads/columns_rbac.py), since the API server keeps a misspelt verb
that then grants nothing. A team's maintainer sees only their own team among
the teams to bind; workloads/bindings.py refuses any other subject anyway.
"""

from functools import cached_property

from django import forms
from django.core.validators import RegexValidator
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.errors import PortalError
from portal.forms import code_help
from portal.roles import TeamRole
from portal.teams import Team
from rbac import team_roles
from rbac.identity import team_role_group
from workloads import columns_rbac as cr
from workloads import places, selectors
from workloads.creation import Rows
from workloads.forms_create import FORMS, RowForm, filled
from workloads.kinds import KINDS
from workloads.objects import SEGMENT_NAME

RBAC_GROUP = "rbac.authorization.k8s.io"
RBAC_VERSION = f"{RBAC_GROUP}/v1"
# The verbs offered as checkboxes; the others (bind, escalate, impersonate, *...) are typed.
STANDARD_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
AGGREGATE_INTO = ("admin", "edit", "view")
TEAM = "Team"
SUBJECT_KINDS = [
    ("Group", gettext_lazy("Group")),
    ("User", gettext_lazy("User")),
    ("ServiceAccount", gettext_lazy("ServiceAccount")),
    (TEAM, gettext_lazy("Portal team")),
]
ROLE_NAMES_LIMIT = 500
_SMALL = {"spellcheck": "false", "autocapitalize": "off", "size": 16}

rbac_name = RegexValidator(
    SEGMENT_NAME, gettext_lazy("A name has no '/' or '%%', and is not '.' or '..' (at most 253 characters).")
)


def _words(text: str) -> list[str]:
    """A list typed as words separated by commas or spaces."""
    return [word for word in (text or "").replace(",", " ").split() if word]


def _words_field(label, help_text="", **attrs):
    return forms.CharField(
        label=label, required=False, max_length=1000, help_text=help_text, widget=forms.TextInput({**_SMALL, **attrs})
    )


def _name_field():
    return forms.CharField(max_length=253, validators=[rbac_name], label=gettext_lazy("Name"))


# --- Roles and ClusterRoles ----------------------------------------------------------------


class RuleForm(RowForm):
    """One rule: what it grants (API groups, resources, names) and the verbs."""

    REQUIRED_ANY, NEEDED = ("api_groups", "resources", "resource_names", "verbs", "other_verbs"), ()
    api_groups = _words_field(
        gettext_lazy("API groups"),
        code_help(gettext_lazy("e.g. {example}; empty: the core group; * all."), example="apps"),
    )
    resources = _words_field(gettext_lazy("Resources"), gettext_lazy("e.g. configmaps pods/log; * all."))
    resource_names = _words_field(gettext_lazy("Resource names"), gettext_lazy("Empty: every object."))
    verbs = forms.MultipleChoiceField(
        label=gettext_lazy("Verbs"),
        required=False,
        # The API's own words, the same in every language (translate="no" tells browsers and readers).
        choices=[(verb, format_html('<span translate="no">{}</span>', verb)) for verb in STANDARD_VERBS],
        # A grid of short words, several a row, instead of eight full-width lines on a phone.
        widget=forms.CheckboxSelectMultiple(attrs={"class": "verbgrid"}),
    )
    # The verbs are the API's words: code, the same in every language.
    other_verbs = _words_field(
        gettext_lazy("Other verbs"), code_help(gettext_lazy("e.g. {verbs}, or *."), verbs="bind escalate impersonate")
    )

    def is_blank(self) -> bool:
        return not any(self.cleaned_data.get(name) for name in self.REQUIRED_ANY)  # no verb ticked is []

    def verbs_given(self) -> list[str]:
        """The ticked verbs, then the typed ones, each once."""
        return list(dict.fromkeys([*self.cleaned_data["verbs"], *_words(self.cleaned_data["other_verbs"])]))

    def clean(self):
        data = super().clean()
        if self.is_blank() or self.errors:
            return data
        urls = _words(data.get("non_resource_urls", ""))
        resources = _words(data["resources"])
        if urls and (resources or data["api_groups"].strip() or data["resource_names"].strip()):
            self.add_error(
                "non_resource_urls", _("A rule grants either resources or non-resource URLs, not both: use two rules.")
            )
        elif not urls and not resources:
            self.add_error("resources", _("Name the resources (or * for all) this rule grants."))
        verbs = self.verbs_given()
        allowed = cr.URL_VERBS if urls else cr.RESOURCE_VERBS
        unknown = [verb for verb in verbs if verb not in allowed]
        if not verbs:
            self.add_error("verbs", _("Name at least one verb."))
        elif unknown:
            self.add_error(
                "other_verbs" if any(v in _words(data["other_verbs"]) for v in unknown) else "verbs",
                _("Unknown verbs: %(unknown)s. Known: %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(sorted(allowed))},
            )
        return data

    def rule(self) -> dict:
        data = self.cleaned_data
        verbs = self.verbs_given()
        urls = _words(data.get("non_resource_urls", ""))
        if urls:
            return {"nonResourceURLs": urls, "verbs": verbs}
        rule = {"apiGroups": _words(data["api_groups"]) or [""], "resources": _words(data["resources"])}
        if _words(data["resource_names"]):
            rule["resourceNames"] = _words(data["resource_names"])
        return {**rule, "verbs": verbs}


class ClusterRuleForm(RuleForm):
    REQUIRED_ANY = (*RuleForm.REQUIRED_ANY, "non_resource_urls")
    non_resource_urls = _words_field(
        gettext_lazy("Non-resource URLs"), gettext_lazy("e.g. /healthz /metrics; instead of resources.")
    )


def _rows(form_class, count):
    return forms.formset_factory(form_class, extra=count, max_num=count, validate_max=True)


_RULE_FIELDS = {
    "apiGroups": "api_groups",
    "resources": "resources",
    "resourceNames": "resource_names",
    "verbs": "verbs",
    "nonResourceURLs": "non_resource_urls",
}
ROLE_PLACES = [
    (r"^metadata\.name", "name"),
    (r"^metadata\.labels", "aggregate_into"),
    (r"^rules\[(\d+)\](?:\.(\w+))?", Rows("rules", _RULE_FIELDS, "")),
    (r"^rules", Rows("rules")),
]


class RoleForm(forms.Form):
    ROWS = {"rules": _rows(RuleForm, 4)}
    PLACES = ROLE_PLACES
    name = _name_field()

    def check_rows(self, rows) -> None:
        if not filled(rows["rules"]):
            rows["rules"].non_form_errors().append(_("Give at least one rule."))

    def labels(self) -> dict:
        return {}

    def manifests(self, kind: str, rows) -> list[dict]:
        meta = {"name": self.cleaned_data["name"], **({"labels": self.labels()} if self.labels() else {})}
        rules = [rows["rules"].forms[index].rule() for index, _values in filled(rows["rules"])]
        return [{"apiVersion": RBAC_VERSION, "kind": kind, "metadata": meta, "rules": rules}]

    def pods(self) -> int | None:
        return None


class ClusterRoleForm(RoleForm):
    ROWS = {"rules": _rows(ClusterRuleForm, 4)}
    aggregate_into = forms.MultipleChoiceField(
        label=gettext_lazy("Aggregate into"),
        required=False,
        choices=[(role, role) for role in AGGREGATE_INTO],
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Its rules are added to these built-in roles (label aggregate-to-<role>: true)."),
    )

    def labels(self) -> dict:
        return {cr.AGGREGATE_PREFIX + role: "true" for role in self.cleaned_data["aggregate_into"]}


# --- RoleBindings and ClusterRoleBindings --------------------------------------------------


class SubjectForm(RowForm):
    """Who is bound: a user, a group, a ServiceAccount, or a portal team
    (its role groups, portal:team:<slug>:<role>: all four or one)."""

    REQUIRED_ANY, NEEDED = ("name", "namespace", "team"), ()
    kind = forms.ChoiceField(label=gettext_lazy("Subject kind"), choices=SUBJECT_KINDS, initial="Group", required=False)
    name = forms.CharField(label=gettext_lazy("Subject name"), required=False, max_length=253)
    namespace = forms.CharField(
        label=gettext_lazy("Namespace"),
        required=False,
        max_length=63,
        help_text=gettext_lazy("A ServiceAccount's; empty: this namespace."),
    )
    team = forms.ChoiceField(label=gettext_lazy("Team"), required=False, choices=())
    team_role = forms.ChoiceField(
        label=gettext_lazy("Team role"),
        required=False,
        choices=[("", gettext_lazy("All four roles")), *TeamRole.choices],
    )

    def __init__(self, *args, teams=(), here="", **kwargs):
        super().__init__(*args, **kwargs)
        self.here, self.cluster_wide = here, not here  # a ClusterRoleBinding's subjects are in no namespace
        self.fields["team"].choices = [("", "—"), *teams]
        if self.cluster_wide:
            self.fields["namespace"].help_text = _("A ServiceAccount's namespace (required).")

    def is_blank(self) -> bool:
        # The kind is always sent (a select): a row says something once it names someone, or a team.
        return super().is_blank() and self.cleaned_data.get("kind") in (None, "", "Group")

    def clean_kind(self):
        return self.cleaned_data["kind"] or "Group"

    def clean(self):
        data = super().clean()
        if self.is_blank() or self.errors:
            return data
        if data["kind"] == TEAM:
            if not data["team"]:
                self.add_error("team", _("Choose the team to bind."))
        elif not data["name"].strip():
            self.add_error("name", _("Name the subject."))
        elif data["kind"] == "ServiceAccount" and self.cluster_wide and not data["namespace"].strip():
            self.add_error("namespace", _("A ServiceAccount is named with its namespace."))
        return data

    def subjects(self) -> list[dict]:
        data = self.cleaned_data
        if data["kind"] == TEAM:
            roles = [data["team_role"]] if data["team_role"] else TeamRole.values
            return [
                {"apiGroup": RBAC_GROUP, "kind": "Group", "name": team_role_group(data["team"], role)} for role in roles
            ]
        if data["kind"] == "ServiceAccount":
            return [
                {
                    "kind": "ServiceAccount",
                    "name": data["name"].strip(),
                    "namespace": data["namespace"].strip() or self.here,
                }
            ]
        return [{"apiGroup": RBAC_GROUP, "kind": data["kind"], "name": data["name"].strip()}]


BINDING_PLACES = [
    (r"^metadata\.name", "name"),
    (r"^roleRef\.kind", "role_kind"),
    (r"^roleRef", "role_name"),
    (r"^subjects\[(\d+)\](?:\.(\w+))?", Rows("subjects", {"name": "name", "namespace": "namespace", "kind": "kind"})),
    (r"^subjects", Rows("subjects")),
]
ROLE_DATALIST = "role-names"


# The kind names stay as Kubernetes spells them; the words around them are translated.
ROLE_KIND_LABELS = {
    "ClusterRole": gettext_lazy("ClusterRole (the cluster's)"),
    "Role": gettext_lazy("Role (this namespace's)"),
}


class RoleBindingForm(forms.Form):
    ROWS = {"subjects": _rows(SubjectForm, 4)}
    PLACES = BINDING_PLACES
    PLACED = True  # made with the user and the namespace (workloads/creation.py)
    ROLE_KINDS = ("ClusterRole", "Role")

    name = _name_field()
    role_kind = forms.ChoiceField(label=gettext_lazy("Role kind"), choices=())
    role_name = forms.CharField(
        label=gettext_lazy("Role name"),
        max_length=253,
        validators=[rbac_name],
        widget=forms.TextInput({**_SMALL, "list": ROLE_DATALIST, "size": 30}),
    )

    def __init__(self, *args, user=None, namespace=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.namespace = user, namespace
        self.fields["role_kind"].choices = [(kind, ROLE_KIND_LABELS[kind]) for kind in self.ROLE_KINDS]

    def teams(self) -> list[tuple[str, str]]:
        """The teams one may bind here: a team's own members only their team."""
        if self.namespace is not None and not places.as_platform(self.user, self.namespace):
            team = self.namespace.team
            return [(team.slug, team.name)] if team is not None else []
        return list(Team.objects.order_by("slug").values_list("slug", "name"))

    def row_kwargs(self, prefix: str) -> dict:
        spans = self.namespace is None or places.spans_cluster(self.namespace)
        return {"teams": self.teams(), "here": "" if spans else self.namespace.name}

    @cached_property
    def role_names(self) -> list[str]:
        """Roles to offer (a datalist): those the user may list here, read
        live; the portal's team roles when they may not list ClusterRoles."""
        names = set()
        for kind in self.ROLE_KINDS:
            try:
                page = selectors.live_list(
                    user=self.user, namespace=self.namespace, kind=KINDS[kind.lower() + "s"], limit=ROLE_NAMES_LIMIT
                )
            except PortalError:
                if kind == "ClusterRole":
                    names.update(team_roles.SOURCES)
                continue
            names.update(row["name"] for row in page["items"])
        return sorted(names)

    def check_rows(self, rows) -> None:
        if not filled(rows["subjects"]):
            rows["subjects"].non_form_errors().append(
                _("Bind at least one subject: a user, a group, a ServiceAccount or a team.")
            )

    def manifest_rows(self, prefix: str, rows) -> list[int]:
        """The row of each subject in the manifest (a team's row makes several)."""
        return [index for index, _values in filled(rows) for _subject in rows.forms[index].subjects()]

    def manifests(self, kind: str, rows) -> list[dict]:
        data = self.cleaned_data
        subjects = [s for index, _values in filled(rows["subjects"]) for s in rows["subjects"].forms[index].subjects()]
        return [
            {
                "apiVersion": RBAC_VERSION,
                "kind": kind,
                "metadata": {"name": data["name"]},
                "roleRef": {"apiGroup": RBAC_GROUP, "kind": data["role_kind"], "name": data["role_name"]},
                "subjects": subjects,
            }
        ]

    def pods(self) -> int | None:
        return None


class ClusterRoleBindingForm(RoleBindingForm):
    ROLE_KINDS = ("ClusterRole",)


FORMS.update(
    {
        "roles": RoleForm,
        "clusterroles": ClusterRoleForm,
        "rolebindings": RoleBindingForm,
        "clusterrolebindings": ClusterRoleBindingForm,
    }
)
