"""Reading kubeconfig files pasted or uploaded by admins.

A kubeconfig is reduced to the one context the admin chose, with its cluster
and user inlined, before it is stored (encrypted). Credentials a server-side
portal cannot use are refused here with a clear message.
"""

import base64
import binascii

import yaml
from django.utils.translation import gettext as _

from portal.errors import PortalError

MAX_KUBECONFIG_BYTES = 256 * 1024


class KubeconfigError(PortalError):
    """A kubeconfig the portal cannot use; reported on the `kubeconfig` field
    unless the message is about another one (the context)."""

    def __init__(self, message, *, field_errors=None):
        super().__init__(message, field_errors=field_errors or {"kubeconfig": [str(message)]})


class CredentialKinds:
    CLIENT_CERTIFICATE = "client-certificate"
    TOKEN = "token"
    BASIC = "basic"


def _named(entries, what: str) -> dict:
    if not isinstance(entries, list):
        raise KubeconfigError(_("The kubeconfig's %(what)s must be a list.") % {"what": what})
    found = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise KubeconfigError(_("Every entry in %(what)s needs a name.") % {"what": what})
        found[entry["name"]] = entry
    return found


def _mapping(entry: dict, key: str, what: str) -> dict:
    """The body of a named entry (`context`, `cluster`, `user`), which must be a mapping:
    hand-edited kubeconfigs get this wrong, and it must be a 400, not a crash."""
    value = entry.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise KubeconfigError(
            _("The %(what)s entry %(name)s must hold a mapping under %(key)s.")
            % {"what": what, "name": entry["name"], "key": key}
        )
    return dict(value)


def _check_base64(value, field: str) -> None:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise KubeconfigError(_("%(field)s is not valid base64.") % {"field": field}) from None


def parse(text: str) -> dict:
    """Parse and check the shape of a kubeconfig; returns the document."""
    if not text or not text.strip():
        raise KubeconfigError(_("The kubeconfig is empty."))
    if len(text.encode()) > MAX_KUBECONFIG_BYTES:
        raise KubeconfigError(_("The kubeconfig is larger than 256 KiB."))
    try:
        doc = yaml.safe_load(text)
    except RecursionError:
        # PyYAML composes nested collections recursively: "[[[[..." exhausts the stack.
        raise KubeconfigError(_("The kubeconfig is nested too deeply to be a kubeconfig.")) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _(" (line %(line)s)") % {"line": mark.line + 1} if mark else ""
        raise KubeconfigError(_("The kubeconfig is not valid YAML%(where)s.") % {"where": where}) from None
    if not isinstance(doc, dict) or doc.get("kind", "Config") != "Config":
        raise KubeconfigError(_("This is not a kubeconfig (expected kind: Config)."))
    for key in ("clusters", "contexts", "users"):
        if key not in doc:
            raise KubeconfigError(_("The kubeconfig has no %(key)s section.") % {"key": key})
    return doc


def contexts(doc: dict) -> list[str]:
    return list(_named(doc.get("contexts") or [], "contexts"))


def reduce_to_context(doc: dict, context: str | None) -> tuple[dict, dict]:
    """A self-contained kubeconfig with only `context` (default: current-context),
    and facts about it: server URL and credential kind."""
    all_contexts = _named(doc.get("contexts") or [], "contexts")
    if not all_contexts:
        raise KubeconfigError(_("The kubeconfig defines no contexts."))
    name = context or doc.get("current-context") or (next(iter(all_contexts)) if len(all_contexts) == 1 else None)
    if not isinstance(name, str) or not name:
        raise KubeconfigError(
            _("Choose a context: this kubeconfig has several and no current-context."),
            field_errors={"context": [_("Choose one of: %(names)s") % {"names": ", ".join(all_contexts)}]},
        )
    if name not in all_contexts:
        raise KubeconfigError(
            _("The kubeconfig has no context named %(name)s.") % {"name": name},
            field_errors={"context": [_("Choose one of: %(names)s") % {"names": ", ".join(all_contexts) or "-"}]},
        )
    ctx = _mapping(all_contexts[name], "context", "contexts")
    cluster_name, user_name = ctx.get("cluster"), ctx.get("user")
    clusters, users = _named(doc.get("clusters") or [], "clusters"), _named(doc.get("users") or [], "users")
    if not isinstance(cluster_name, str) or cluster_name not in clusters:
        raise KubeconfigError(_("Context %(name)s names a cluster the kubeconfig does not define.") % {"name": name})
    if not isinstance(user_name, str) or user_name not in users:
        raise KubeconfigError(_("Context %(name)s names a user the kubeconfig does not define.") % {"name": name})
    cluster = _mapping(clusters[cluster_name], "cluster", "clusters")
    user = _mapping(users[user_name], "user", "users")
    server = cluster.get("server")
    if not isinstance(server, str) or not server.startswith("https://"):
        raise KubeconfigError(_("The cluster's server must be an https:// URL."))
    if cluster.get("certificate-authority"):
        raise KubeconfigError(
            _("Inline the CA certificate (certificate-authority-data): the portal cannot read files on your machine.")
        )
    if cluster.get("certificate-authority-data"):
        _check_base64(cluster["certificate-authority-data"], "certificate-authority-data")
    kind = credential_kind(user)
    reduced = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": name,
        "clusters": [{"name": ctx["cluster"], "cluster": cluster}],
        "users": [{"name": ctx["user"], "user": user}],
        "contexts": [
            {"name": name, "context": {k: v for k, v in ctx.items() if k in ("cluster", "user", "namespace")}}
        ],
    }
    return reduced, {"server": server, "credential_kind": kind, "context": name}


def credential_kind(user: dict) -> str:
    if "exec" in user or "auth-provider" in user:
        raise KubeconfigError(
            _(
                "This kubeconfig authenticates with an exec plugin or auth provider, which runs a "
                "program on your own machine; a server-side portal cannot run it. Use a client "
                "certificate or a service-account token instead."
            ),
            field_errors={"kubeconfig": [_("exec plugins and auth providers are not supported.")]},
        )
    if user.get("client-certificate") or user.get("client-key") or user.get("tokenFile"):
        raise KubeconfigError(
            _(
                "Inline the credentials (client-certificate-data, client-key-data or token): the portal cannot read files on your machine."
            )
        )
    if user.get("client-certificate-data") and user.get("client-key-data"):
        _check_base64(user["client-certificate-data"], "client-certificate-data")
        _check_base64(user["client-key-data"], "client-key-data")
        return CredentialKinds.CLIENT_CERTIFICATE
    if user.get("token"):
        if not isinstance(user["token"], str):
            raise KubeconfigError(_("The user's token must be a string."))
        return CredentialKinds.TOKEN
    raise KubeconfigError(
        _(
            "The kubeconfig's user has no credentials the portal can use: give a client "
            "certificate and key, or a bearer token."
        ),
    )


def dump(doc: dict) -> str:
    return yaml.safe_dump(doc, default_flow_style=False, sort_keys=False)
