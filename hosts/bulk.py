"""Registering many hosts at once from CSV or YAML, with an error per row.

Columns (CSV header or YAML mapping keys): name, address, port, username,
sudo_mode, credential (its name), labels (`k=v, k2=v2`, or a mapping in
YAML), cluster (its slug), role, known_hosts_line.
Nothing is saved unless every row is valid, so a corrected file can be sent
again as is. A row's known_hosts_line pins its key; rows without one are
registered unpinned, to be confirmed host by host.
"""

import csv
import io

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from hosts import ssh
from hosts.models import Host, SSHCredential, cluster_model
from portal.errors import PortalError
from portal.labels import format_labels, parse_labels

COLUMNS = (
    "name",
    "address",
    "port",
    "username",
    "sudo_mode",
    "credential",
    "labels",
    "cluster",
    "role",
    "known_hosts_line",
)
MAX_ROWS = 500


def _cell(value) -> str:
    if isinstance(value, dict):  # YAML labels as a mapping
        return format_labels({str(k): "" if v is None else str(v) for k, v in value.items()})
    return "" if value is None else str(value).strip()


def parse_rows(text: str, fmt: str) -> list[dict]:
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text.strip()))
        rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    elif fmt == "yaml":
        try:
            data = yaml.safe_load(text) or []
        except yaml.YAMLError as exc:
            raise PortalError(_("The YAML could not be read: %(error)s") % {"error": str(exc)[:200]}) from None
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise PortalError(_("The YAML must be a list of hosts, each a mapping of column to value."))
        rows = [{str(k): _cell(v) for k, v in row.items()} for row in data]
    else:
        raise PortalError(_("The format is csv or yaml."), field_errors={"format": [_("The format is csv or yaml.")]})
    if not rows:
        raise PortalError(_("There are no hosts in the file."))
    if len(rows) > MAX_ROWS:
        raise PortalError(_("At most %(count)s hosts at once.") % {"count": MAX_ROWS})
    return rows


def _host_from_row(row: dict, seen: dict) -> tuple[Host | None, dict]:
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(row) - set(COLUMNS))
    if unknown:
        errors["non_field_errors"] = [_("Unknown columns: %(columns)s.") % {"columns": ", ".join(unknown)}]
    fields = {k: row[k] for k in ("name", "address", "username", "sudo_mode", "role") if row.get(k)}
    try:
        fields["port"] = int(row.get("port") or 22)
    except ValueError:
        errors["port"] = [_("A port is a number.")]
    credential = SSHCredential.objects.filter(name=row.get("credential", "")).first()
    if credential is None:
        errors["credential"] = [_("No SSH credential is named %(name)r.") % {"name": row.get("credential", "")}]
    cluster = None
    if row.get("cluster"):
        cluster = cluster_model().objects.filter(slug=row["cluster"]).first()
        if cluster is None:
            errors["cluster"] = [_("No cluster has the slug %(slug)r.") % {"slug": row["cluster"]}]
    try:
        fields["labels"] = parse_labels(row.get("labels", ""))
    except ValidationError as exc:
        errors["labels"] = exc.messages
    host = Host(**fields, credential=credential, cluster=cluster)
    if row.get("known_hosts_line") and "address" in fields and "port" not in errors:
        try:
            key = ssh.parse_known_hosts_line(row["known_hosts_line"], address=host.address, port=host.port)
            host.host_key, host.host_key_fingerprint = key.line, key.fingerprint
        except ssh.HostKeyError as exc:
            errors["known_hosts_line"] = [exc.message]
    try:
        host.full_clean(exclude=[f for f in ("credential", "port", "labels") if f in errors])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    for key, label in (("name", host.name), ("endpoint", f"{host.address}:{host.port}")):
        if label in seen.setdefault(key, set()):
            errors.setdefault("name" if key == "name" else "address", []).append(
                _("%(value)s appears twice in the file.") % {"value": label}
            )
        seen[key].add(label)
    return (None if errors else host), errors


@transaction.atomic
def hosts_import(*, text: str, fmt: str) -> list[Host]:
    """Register every host of the file, or none: PortalError with
    `field_errors` {"rows": [{"row": n, "errors": {...}}, ...]} otherwise."""
    rows = parse_rows(text, fmt)
    hosts, problems, seen = [], [], {}
    for number, row in enumerate(rows, start=1):
        host, errors = _host_from_row(row, seen)
        if errors:
            problems.append({"row": number, "name": row.get("name", ""), "errors": errors})
        else:
            hosts.append(host)
    if problems:
        error = PortalError(
            _("%(count)s of %(total)s rows have errors; no host was registered.")
            % {"count": len(problems), "total": len(rows)}
        )
        error.rows = problems
        raise error
    for host in hosts:
        host.save()
    return hosts
