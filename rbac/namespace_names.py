"""Which namespace names a team may take.

A team namespace grants the team `admin` inside it, so a name is a claim on
everything that lives there. Two rules, checked when a namespace is requested
and again when it is approved (the reconciler checks ownership once more
before it writes anything):

- reserved names: `kube-*` (the control plane and add-ons), `default`, the
  portal's own namespaces, and the prefixes a platform admin lists in
  `RESERVED_NAMESPACE_PREFIXES`;
- a namespace that already exists in the cluster belongs to someone else,
  unless it is this very team namespace (it carries its owner annotation).
"""

from django.utils.translation import gettext as _

from clusters import kube
from portal.errors import PortalError
from rbac.validators import reserved_reason

# Set on every namespace the portal creates for a team namespace: the
# TeamNamespace's uid. Tenants cannot write Namespace objects, so it cannot be forged.
OWNER_ANNOTATION = "portal.kube/team-namespace"


def is_owned_by(namespace: dict | None, uid) -> bool:
    """True when a Namespace object (as a dict) was created for the team namespace `uid`."""
    annotations = ((namespace or {}).get("metadata") or {}).get("annotations") or {}
    return annotations.get(OWNER_ANNOTATION) == str(uid)


def namespace_name_check(*, cluster, name: str, uid=None) -> None:
    """Refuse a name that is reserved or already taken in `cluster` (by
    anything but the team namespace `uid`). Raises PortalError on `name`.

    A cluster without credentials cannot be asked; nothing can be created
    there either, and the reconciler re-checks ownership before any write.
    A cluster that does not answer refuses the request: a name that cannot be
    checked is not granted.
    """
    reason = reserved_reason(name)
    if reason:
        raise PortalError(reason, field_errors={"name": [reason]})
    if not cluster.kubeconfig:
        return
    try:
        with kube.client_for(cluster) as client:
            existing = client.to_dict(client.core.read_namespace(name))
    except kube.KubeNotFound:
        return
    except kube.KubeError as exc:
        message = _("Cluster %(cluster)s could not be asked whether %(name)s is free: %(error)s") % {
            "cluster": cluster,
            "name": name,
            "error": exc.message,
        }
        raise PortalError(message, field_errors={"name": [message]}) from None
    if uid is not None and is_owned_by(existing, uid):
        return
    message = _("Namespace %(name)s already exists in cluster %(cluster)s and belongs to someone else.") % {
        "name": name,
        "cluster": cluster,
    }
    raise PortalError(message, field_errors={"name": [message]})
