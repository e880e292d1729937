"""The one call path for every registered kind: a page of a list, one object,
server-side apply (with the API server's dry run), delete with propagation.

Requests go through `clusters.kube.KubeClient.request_json` on the kind's own
REST path, so no kind needs client code of its own; the client decides who is
asking (impersonated or the portal's credential). Manifests are checked here
before any request: only registered kinds, in the namespace asked for, with
names that cannot step out of their path.
"""

import re
from urllib.parse import quote

import yaml
from django.utils.translation import gettext as _

from clusters import kube
from workloads.errors import NON_FIELD, document_field, mapped
from workloads.kinds import Kind, kind_of

LIST_LIMIT = 100
LIST_LIMIT_MAX = 500
MAX_DOCUMENTS = 20
# Users' applies are their own field manager, apart from the reconciler's
# (`kube.FIELD_MANAGER`): neither clears the other's fields.
FIELD_MANAGER = "kube-portal-workloads"
PROPAGATION = {"background": "Background", "foreground": "Foreground", "orphan": "Orphan"}
# A DNS subdomain: every kind's names are (at most) that, and none holds a "/".
NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
# RBAC objects are named by path segments: anything but "/" and "%", not "." or ".." (system:controller:...).
SEGMENT_NAME = re.compile(r"^(?!\.\.?$)[^/%]{1,253}$")


def object_path(kind: Kind, namespace: str, name: str) -> str:
    return f"{kind.collection_path(namespace)}/{quote(name, safe='')}"


def list_page(
    client: kube.KubeClient,
    kind: Kind,
    namespace: str,
    *,
    limit: int = LIST_LIMIT,
    continue_token: str = "",
    label_selector: str = "",
    field_selector: str = "",
) -> dict:
    """One page of a list: the API server's items, and the token for the next
    page (empty on the last). Never more than `limit` objects in memory."""
    query = [("limit", str(min(max(1, limit), LIST_LIMIT_MAX)))]
    for key, value in (
        ("continue", continue_token),
        ("labelSelector", label_selector),
        ("fieldSelector", field_selector),
    ):
        if value:
            query.append((key, value))
    with mapped():
        _status, answer = client.request_json("GET", kind.collection_path(namespace), query=query)
    metadata = answer.get("metadata") or {}
    items = answer.get("items") or []
    for item in items:  # a list's items carry no kind of their own; the columns read it
        item.setdefault("apiVersion", kind.api_version)
        item.setdefault("kind", kind.kind)
    return {
        "items": items,
        "continue": metadata.get("continue") or "",
        "remaining": metadata.get("remainingItemCount"),
    }


def get_object(client: kube.KubeClient, kind: Kind, namespace: str, name: str) -> dict:
    with mapped(name=name):
        return client.request_json("GET", object_path(kind, namespace, name))[1]


def apply_object(client: kube.KubeClient, kind: Kind, obj: dict, *, dry_run=False, document=None) -> tuple[bool, dict]:
    """Server-side apply of a checked manifest: (created, the object as the
    API server has it, or would have it with `dry_run`)."""
    query = [("fieldManager", FIELD_MANAGER)] + ([("dryRun", "All")] if dry_run else [])
    meta = obj["metadata"]
    with mapped(document=document, name=f"{kind.kind} {meta['name']}"):
        status, answer = client.request_json(
            "PATCH",
            object_path(kind, meta.get("namespace", ""), meta["name"]),
            query=query,
            body=obj,
            content_type="application/apply-patch+yaml",
        )
    return status == 201, answer


def delete_object(client: kube.KubeClient, kind: Kind, namespace: str, name: str, *, propagation="background") -> dict:
    """Delete; its dependents (a Deployment's ReplicaSets and Pods) go as
    `propagation` says: background (after it), foreground (before it), orphan (stay)."""
    with mapped(name=name):
        return client.request_json(
            "DELETE", object_path(kind, namespace, name), query=[("propagationPolicy", PROPAGATION[propagation])]
        )[1]


def scale_object(client: kube.KubeClient, kind: Kind, namespace: str, name: str, replicas: int) -> dict:
    """Set the desired replicas through the `scale` subresource (what `kubectl
    scale` does): only that field changes, whoever manages the rest."""
    with mapped(name=name):
        return client.request_json(
            "PATCH",
            object_path(kind, namespace, name) + "/scale",
            body={"spec": {"replicas": replicas}},
            content_type="application/merge-patch+json",
        )[1]


# --- manifests ---------------------------------------------------------------------------


class ManifestError(kube.KubeInvalid):
    """A manifest refused before any request: a 400 with the field that is wrong."""


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: a few lines of aliases can stand for
    billions of nodes once anything (the audit summary, the answer) walks them,
    and manifests do not need them."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, _("aliases (*name) are not accepted"), self.peek_event().start_mark
            )
        return super().compose_node(parent, index)


def parse_yaml(text: str) -> list:
    """The documents of a YAML (or JSON) text; empty documents are skipped."""
    try:
        documents = [doc for doc in yaml.load_all(text, Loader=_NoAliasLoader) if doc is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _(" (line %(line)s)") % {"line": mark.line + 1} if mark else ""
        raise ManifestError(
            _("The YAML cannot be read%(where)s: %(problem)s")
            % {"where": where, "problem": getattr(exc, "problem", None) or exc},
            field_errors={NON_FIELD: [_("Not valid YAML%(where)s.") % {"where": where}]},
        ) from None
    return documents


def manifest_targets(documents: list) -> dict:
    """The kinds and names the documents say they are, for the audit trail
    (before any checking: a refused apply is recorded as precisely)."""
    described = [d for d in documents if isinstance(d, dict)]
    metadata = [d["metadata"] for d in described if isinstance(d.get("metadata"), dict)]
    return {
        "kind": ",".join(dict.fromkeys(str(d.get("kind", "")) for d in described)),
        "name": ",".join(str(meta.get("name", "")) for meta in metadata),
    }


def checked_manifests(documents: list, *, namespace: str) -> list[tuple[Kind, dict]]:
    """Every document's registered kind and the document placed in `namespace`;
    all the refusals at once, by document and field."""
    if not documents:
        raise ManifestError(_("No manifest was sent."), field_errors={NON_FIELD: [_("Send at least one manifest.")]})
    if len(documents) > MAX_DOCUMENTS:
        raise ManifestError(
            _("At most %(count)s manifests at once.") % {"count": MAX_DOCUMENTS},
            field_errors={NON_FIELD: [_("At most %(count)s manifests at once.") % {"count": MAX_DOCUMENTS}]},
        )
    several = len(documents) > 1
    checked, errors = [], {}
    for index, document in enumerate(documents):
        where = index if several else None
        problem = _refusal(document, namespace)
        if problem:
            field, message = problem
            errors.setdefault(document_field(field, where), []).append(message)
            continue
        kind = kind_of(document)
        for field, messages in (kind.validate(document) if kind.validate else {}).items():
            errors.setdefault(document_field(field, where), []).extend(messages)
        meta = {key: value for key, value in document["metadata"].items() if key != "namespace"}
        obj = dict(document, metadata=dict(meta, namespace=namespace) if kind.namespaced else meta)
        checked.append((kind, obj))
    if errors:
        raise ManifestError(_("Some manifests cannot be applied; nothing was applied."), field_errors=errors)
    return checked


def _refusal(document, namespace: str) -> tuple[str, str] | None:
    """(field, message) of the first thing wrong with one manifest, or None."""
    if not isinstance(document, dict):
        return NON_FIELD, _("A manifest is a mapping with apiVersion, kind and metadata.")
    kind = kind_of(document)
    if kind is None:
        return "kind", _("%(kind)s (%(version)s) is not a kind the portal applies.") % {
            "kind": document.get("kind") or "?",
            "version": document.get("apiVersion") or "?",
        }
    if kind.read_only:
        return "kind", _("%(kind)s objects are made by their controller; they are read-only here.") % {
            "kind": kind.kind
        }
    if kind.namespaced != bool(namespace):
        if kind.namespaced:
            return "kind", _("%(kind)s objects live in a namespace: apply them at a namespace's address.") % {
                "kind": kind.kind
            }
        return "kind", _("%(kind)s objects belong to the whole cluster: apply them at the cluster's address.") % {
            "kind": kind.kind
        }
    meta = document.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        return "metadata.name", _("Every manifest needs metadata.name.")
    if not (SEGMENT_NAME if kind.segment_names else NAME).match(meta["name"]):
        return "metadata.name", _(
            "A name is lower-case letters, digits, '-' and '.', starting and ending with a letter or digit."
        )
    if kind.namespaced and meta.get("namespace") not in (None, "", namespace):
        return "metadata.namespace", _("This manifest names namespace %(other)s; it can only go to %(here)s.") % {
            "other": meta["namespace"],
            "here": namespace,
        }
    return None
