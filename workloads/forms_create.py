"""Create forms for the kinds people start from a few values: Deployments,
StatefulSets, DaemonSets, Jobs, CronJobs and Services.

A form checks what it can (names, quantities, label syntax, port numbers) with a
message per field, then builds the manifests (plain dicts) that go through the
same checked, impersonated server-side apply as the YAML page
(`workloads.services.live_apply`). What only the API server knows (a schedule,
an admission rule) comes back as field paths, which `place` puts on the field
that set them: the manifests are built here, so the paths are known here too.

Repeated values are rows of a formset (ports, claims) or `key=value` lines
(environment, labels, selectors).
"""

import re
import shlex

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.forms import code_help
from portal.labels import parse_labels
from portal.quantities import parse_quantity, quantity
from portal.validators import dns_label
from workloads import cron
from workloads.actions.scale import MAX_REPLICAS

NAME_LABEL = "app.kubernetes.io/name"
PROTOCOLS = [("TCP", "TCP"), ("UDP", "UDP"), ("SCTP", "SCTP")]
ACCESS_MODES = [(mode, mode) for mode in ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")]
# A port's name: an IANA service name (lower case, at most 15 characters, a letter in it).
port_name = RegexValidator(
    r"^(?=.*[a-z])[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$",
    gettext_lazy("At most 15 lower-case letters, digits and '-', with a letter, not starting or ending with '-'."),
)
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_TEXTAREA = {"rows": 3, "spellcheck": "false", "autocapitalize": "off"}


def _lines(text: str):
    """(line number, stripped line) of the non-empty lines of a textarea."""
    for number, line in enumerate((text or "").splitlines(), start=1):
        if line.strip():
            yield number, line.strip()


def _pairs(text: str) -> dict[str, str]:
    """`name=value` lines (environment variables), a message per bad line."""
    pairs, errors = {}, []
    for number, line in _lines(text):
        key, equals, value = line.partition("=")
        key = key.strip()
        if not equals:
            errors.append(_("Line %(line)s: write name=value.") % {"line": number})
        elif not _ENV_NAME.match(key):
            errors.append(
                _("Line %(line)s: %(name)s is not a variable name (letters, digits, '_', '-', '.').")
                % {"line": number, "name": key}
            )
        else:
            pairs[key] = value.strip()
    if errors:
        raise ValidationError(errors)
    return pairs


def _labels_field(label, help_text):
    return forms.CharField(
        label=label, required=False, widget=forms.Textarea(attrs=_TEXTAREA), help_text=help_text, strip=False
    )


def _quantity_field(label, help_text):
    return forms.CharField(label=label, required=False, max_length=32, validators=[quantity], help_text=help_text)


# --- rows ----------------------------------------------------------------------------------


class RowForm(forms.Form):
    """One row of a repeated value; a row left empty is skipped."""

    def is_blank(self) -> bool:
        return not any(self.cleaned_data.get(name) not in (None, "") for name in self.REQUIRED_ANY)

    def clean(self):
        data = super().clean()
        if not self.is_blank():
            for name in self.NEEDED:
                if data.get(name) in (None, "") and name not in self.errors:
                    self.add_error(name, _("This field is required."))
        return data


class ContainerPortForm(RowForm):
    REQUIRED_ANY, NEEDED = ("name", "port"), ("port",)
    name = forms.CharField(label=gettext_lazy("Port name"), required=False, max_length=15, validators=[port_name])
    port = forms.IntegerField(label=gettext_lazy("Port"), required=False, min_value=1, max_value=65535)
    protocol = forms.ChoiceField(label=gettext_lazy("Protocol"), choices=PROTOCOLS, initial="TCP", required=False)

    def clean_protocol(self):
        return self.cleaned_data["protocol"] or "TCP"


class ServicePortForm(ContainerPortForm):
    REQUIRED_ANY = ("name", "port", "target_port", "node_port")
    target_port = forms.CharField(
        label=gettext_lazy("Target port"),
        required=False,
        max_length=15,
        help_text=gettext_lazy("The pods' port, a number or a name; the same as the port if empty."),
    )
    node_port = forms.IntegerField(
        label=gettext_lazy("Node port"),
        required=False,
        min_value=30000,
        max_value=32767,
        help_text=gettext_lazy("NodePort only: 30000-32767, or empty to let the cluster pick one."),
    )

    def clean_target_port(self):
        target = self.cleaned_data["target_port"].strip()
        if target.isdigit():
            if not 1 <= int(target) <= 65535:
                raise ValidationError(_("A port number is from 1 to 65535."))
            return int(target)
        if target:
            port_name(target)
        return target


class ClaimForm(RowForm):
    REQUIRED_ANY = ("name", "size", "mount_path")
    NEEDED = ("name", "size", "mount_path")
    name = forms.CharField(label=gettext_lazy("Claim name"), required=False, max_length=63, validators=[dns_label])
    size = _quantity_field(gettext_lazy("Size"), gettext_lazy("e.g. 1Gi"))
    access_mode = forms.ChoiceField(
        label=gettext_lazy("Access mode"), choices=ACCESS_MODES, initial="ReadWriteOnce", required=False
    )
    storage_class = forms.CharField(
        label=gettext_lazy("Storage class"),
        required=False,
        max_length=253,
        help_text=gettext_lazy("Empty: the cluster's default."),
    )
    mount_path = forms.CharField(label=gettext_lazy("Mount path"), required=False, max_length=4096)

    def clean_access_mode(self):
        return self.cleaned_data["access_mode"] or "ReadWriteOnce"

    def clean_mount_path(self):
        path = self.cleaned_data["mount_path"].strip()
        if path and not path.startswith("/"):
            raise ValidationError(_("A mount path is absolute: it starts with /."))
        return path


def _rows(form_class, count):
    return forms.formset_factory(form_class, extra=count, max_num=count, validate_max=True)


def filled(formset) -> list[tuple[int, dict]]:
    """(row index, values) of the rows that say something."""
    return [(index, form.cleaned_data) for index, form in enumerate(formset.forms) if not form.is_blank()]


# --- workloads -----------------------------------------------------------------------------


class PodForm(forms.Form):
    """What every workload's pods say: one container, its image, command,
    ports, environment, requests and limits; the labels of it all."""

    ROWS = {"ports": _rows(ContainerPortForm, 3)}
    api_version = "apps/v1"

    name = forms.CharField(max_length=52, validators=[dns_label], label=gettext_lazy("Name"))
    image = forms.CharField(max_length=255, label=gettext_lazy("Image"), help_text=gettext_lazy("e.g. nginx:1.27"))
    command = forms.CharField(
        required=False,
        max_length=2000,
        label=gettext_lazy("Command"),
        help_text=code_help(
            gettext_lazy("Optional, instead of the image's own, e.g. {example}."), example="sh -c 'echo hello'"
        ),
    )
    env = forms.CharField(
        label=gettext_lazy("Environment"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs=_TEXTAREA),
        help_text=gettext_lazy("One NAME=value a line."),
    )
    cpu_request = _quantity_field(gettext_lazy("CPU request"), gettext_lazy("e.g. 100m"))
    cpu_limit = _quantity_field(gettext_lazy("CPU limit"), gettext_lazy("e.g. 500m"))
    memory_request = _quantity_field(gettext_lazy("Memory request"), gettext_lazy("e.g. 64Mi"))
    memory_limit = _quantity_field(gettext_lazy("Memory limit"), gettext_lazy("e.g. 128Mi"))
    labels = _labels_field(
        gettext_lazy("Labels"), gettext_lazy("One key=value a line; app.kubernetes.io/name is set to the name.")
    )

    def clean_image(self):
        image = self.cleaned_data["image"].strip()
        if any(c.isspace() for c in image):
            raise ValidationError(_("An image reference has no spaces."))
        return image

    def clean_command(self):
        try:
            return shlex.split(self.cleaned_data["command"])
        except ValueError as exc:
            raise ValidationError(_("The command cannot be read: %(problem)s.") % {"problem": exc}) from None

    def clean_env(self):
        return _pairs(self.cleaned_data["env"])

    def clean_labels(self):
        return parse_labels(self.cleaned_data["labels"])

    def clean(self):
        data = super().clean()
        for resource in ("cpu", "memory"):
            request, limit = data.get(f"{resource}_request"), data.get(f"{resource}_limit")
            if request and limit and parse_quantity(request) > parse_quantity(limit):
                self.add_error(
                    f"{resource}_request",
                    _("The request (%(request)s) is more than the limit (%(limit)s).")
                    % {"request": request, "limit": limit},
                )
        return data

    # -- the manifests --

    def object_labels(self) -> dict:
        return {**self.cleaned_data["labels"], NAME_LABEL: self.cleaned_data["name"]}

    def container(self, rows) -> dict:
        data = self.cleaned_data
        container = {"name": data["name"], "image": data["image"]}
        if data["command"]:
            container["command"] = data["command"]
        ports = [_container_port(values) for _index, values in filled(rows["ports"])]
        if ports:
            container["ports"] = ports
        if data["env"]:
            container["env"] = [{"name": key, "value": value} for key, value in data["env"].items()]
        resources = {}
        for part in ("request", "limit"):
            values = {r: data[f"{r}_{part}"] for r in ("cpu", "memory") if data[f"{r}_{part}"]}
            if values:
                resources[f"{part}s"] = values
        if resources:
            container["resources"] = resources
        return container

    def pod_template(self, rows, **spec) -> dict:
        return {"metadata": {"labels": self.object_labels()}, "spec": {"containers": [self.container(rows)], **spec}}

    def body(self, rows) -> dict:
        """The manifest's fields besides apiVersion, kind and metadata."""
        selector = {"matchLabels": {NAME_LABEL: self.cleaned_data["name"]}}
        return {"spec": {"selector": selector, "template": self.pod_template(rows)}}

    def manifests(self, kind: str, rows) -> list[dict]:
        meta = {"name": self.cleaned_data["name"], "labels": self.object_labels()}
        return [{"apiVersion": self.api_version, "kind": kind, "metadata": meta, **self.body(rows)}]

    def pods(self) -> int | None:
        """How many pods the workload asks for, when the form says (quota)."""
        return None


def _container_port(values) -> dict:
    port = {"containerPort": values["port"], "protocol": values["protocol"]}
    if values["name"]:
        port = {"name": values["name"], **port}
    return port


class ReplicatedForm(PodForm):
    replicas = forms.IntegerField(min_value=0, max_value=MAX_REPLICAS, initial=1, label=gettext_lazy("Replicas"))
    field_order = ["name", "image", "replicas"]

    def body(self, rows) -> dict:
        body = super().body(rows)
        return {"spec": {"replicas": self.cleaned_data["replicas"], **body["spec"]}}

    def pods(self) -> int | None:
        return self.cleaned_data["replicas"]


class DeploymentForm(ReplicatedForm):
    pass


class StatefulSetForm(ReplicatedForm):
    """A StatefulSet with its headless Service (named after it, with the
    containers' ports) and its claims, one per pod and claim row."""

    ROWS = {**PodForm.ROWS, "claims": _rows(ClaimForm, 2)}

    def container(self, rows) -> dict:
        container = super().container(rows)
        mounts = [{"name": v["name"], "mountPath": v["mount_path"]} for _i, v in filled(rows["claims"])]
        if mounts:
            container["volumeMounts"] = mounts
        return container

    def body(self, rows) -> dict:
        spec = super().body(rows)["spec"]
        claims = [_claim(values) for _index, values in filled(rows["claims"])]
        return {
            "spec": {
                **spec,
                "serviceName": self.cleaned_data["name"],
                **({"volumeClaimTemplates": claims} if claims else {}),
            }
        }

    def manifests(self, kind: str, rows) -> list[dict]:
        name = self.cleaned_data["name"]
        ports = [
            {
                **({"name": v["name"]} if v["name"] else {}),
                "port": v["port"],
                "targetPort": v["port"],
                "protocol": v["protocol"],
            }
            for _index, v in filled(rows["ports"])
        ]
        service = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "labels": self.object_labels()},
            "spec": {"clusterIP": "None", "selector": {NAME_LABEL: name}, **({"ports": ports} if ports else {})},
        }
        return [service, *super().manifests(kind, rows)]


def _claim(values) -> dict:
    spec = {"accessModes": [values["access_mode"]], "resources": {"requests": {"storage": values["size"]}}}
    if values["storage_class"]:
        spec["storageClassName"] = values["storage_class"]
    return {"metadata": {"name": values["name"]}, "spec": spec}


class DaemonSetForm(PodForm):
    pass


class JobForm(PodForm):
    api_version = "batch/v1"
    completions = forms.IntegerField(
        min_value=1, max_value=10000, initial=1, label=gettext_lazy("Completions"), required=False
    )
    parallelism = forms.IntegerField(
        min_value=0, max_value=MAX_REPLICAS, initial=1, label=gettext_lazy("Parallelism"), required=False
    )
    backoff_limit = forms.IntegerField(
        min_value=0,
        max_value=100,
        initial=0,
        label=gettext_lazy("Retries"),
        help_text=gettext_lazy("How many times a failed pod is retried (backoffLimit)."),
        required=False,
    )
    restart_policy = forms.ChoiceField(
        choices=[("Never", "Never"), ("OnFailure", "OnFailure")], initial="Never", label=gettext_lazy("Restart policy")
    )

    def job_spec(self, rows) -> dict:
        data = self.cleaned_data
        spec = {
            key: data[field]
            for key, field in (
                ("completions", "completions"),
                ("parallelism", "parallelism"),
                ("backoffLimit", "backoff_limit"),
            )
            if data[field] is not None
        }
        return {**spec, "template": self.pod_template(rows, restartPolicy=data["restart_policy"])}

    def body(self, rows) -> dict:
        return {"spec": self.job_spec(rows)}

    def pods(self) -> int | None:
        return self.cleaned_data["parallelism"] if self.cleaned_data["parallelism"] is not None else 1


class CronJobForm(JobForm):
    schedule = forms.CharField(
        max_length=200,
        label=gettext_lazy("Schedule"),
        help_text=code_help(gettext_lazy("Cron syntax, e.g. {example}"), example="0 3 * * *"),
    )
    time_zone = forms.CharField(
        max_length=64,
        required=False,
        label=gettext_lazy("Time zone"),
        help_text=gettext_lazy("e.g. Europe/Paris; empty: the cluster's (usually UTC)."),
    )
    field_order = ["name", "schedule", "time_zone"]

    def clean_schedule(self):
        schedule = " ".join(self.cleaned_data["schedule"].split())
        try:  # as Kubernetes reads it, so the reason comes before the API server is asked
            cron.parse_schedule(schedule)
        except cron.ScheduleError as exc:
            raise ValidationError(exc.message) from None
        return schedule

    def clean_time_zone(self):
        zone = self.cleaned_data["time_zone"].strip()
        try:
            cron.time_zone(zone)
        except cron.ScheduleError as exc:
            raise ValidationError(exc.message) from None
        return zone

    def next_runs(self) -> dict:
        """When it would run, for the preview."""
        return cron.upcoming(self.cleaned_data["schedule"], self.cleaned_data["time_zone"])

    def body(self, rows) -> dict:
        spec = {"schedule": self.cleaned_data["schedule"], "jobTemplate": {"spec": self.job_spec(rows)}}
        if self.cleaned_data["time_zone"]:
            spec["timeZone"] = self.cleaned_data["time_zone"]
        return {"spec": spec}


# --- services ------------------------------------------------------------------------------

HEADLESS = "Headless"


class ServiceForm(forms.Form):
    ROWS = {"ports": _rows(ServicePortForm, 3)}
    api_version = "v1"

    name = forms.CharField(max_length=63, validators=[dns_label], label=gettext_lazy("Name"))
    type = forms.ChoiceField(
        label=gettext_lazy("Type"),
        choices=[
            ("ClusterIP", gettext_lazy("ClusterIP: one address inside the cluster")),
            ("NodePort", gettext_lazy("NodePort: also a port on every node")),
            (HEADLESS, gettext_lazy("Headless: no address, DNS names the pods")),
        ],
        initial="ClusterIP",
    )
    selector = _labels_field(
        gettext_lazy("Selector"),
        gettext_lazy("The pods' labels, one key=value a line, e.g. app.kubernetes.io/name=web"),
    )
    labels = _labels_field(gettext_lazy("Labels"), gettext_lazy("One key=value a line."))

    def clean_selector(self):
        return parse_labels(self.cleaned_data["selector"])

    def clean_labels(self):
        return parse_labels(self.cleaned_data["labels"])

    def manifests(self, kind: str, rows) -> list[dict]:
        data = self.cleaned_data
        spec = {"type": "ClusterIP" if data["type"] == HEADLESS else data["type"]}
        if data["type"] == HEADLESS:
            spec["clusterIP"] = "None"
        if data["selector"]:
            spec["selector"] = data["selector"]
        ports = []
        for _index, values in filled(rows["ports"]):
            port = {"port": values["port"], "targetPort": values["target_port"] or values["port"]}
            port = {**({"name": values["name"]} if values["name"] else {}), **port, "protocol": values["protocol"]}
            if values["node_port"] and data["type"] == "NodePort":
                port["nodePort"] = values["node_port"]
            ports.append(port)
        if ports:
            spec["ports"] = ports
        meta = {"name": data["name"], **({"labels": data["labels"]} if data["labels"] else {})}
        return [{"apiVersion": "v1", "kind": kind, "metadata": meta, "spec": spec}]

    def pods(self) -> int | None:
        return None

    def check_rows(self, rows) -> None:
        """What only the rows together with the type can say."""
        if self.cleaned_data.get("type") == "NodePort":
            return
        for form in rows["ports"].forms:
            if getattr(form, "cleaned_data", None) and form.cleaned_data.get("node_port"):
                form.add_error("node_port", _("Only a NodePort Service has node ports."))


FORMS = {
    "deployments": DeploymentForm,
    "statefulsets": StatefulSetForm,
    "daemonsets": DaemonSetForm,
    "jobs": JobForm,
    "cronjobs": CronJobForm,
    "services": ServiceForm,
}


def has_form(plural: str) -> bool:
    return plural in FORMS
