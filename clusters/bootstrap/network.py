"""The pod network add-on: its manifest, with the pod CIDR the cluster was
initialised with, applied through the cluster's API."""

import json
import urllib.request

import yaml
from django.utils.translation import gettext as _

from portal.errors import PortalError

MAX_MANIFEST_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT = 30


def manifest_fetch(url: str) -> str:
    """The add-on's manifest from its URL (sites that can reach it; others
    upload the file)."""
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:  # noqa: S310 (http(s) only: spec)
            body = response.read(MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        raise PortalError(
            _("Could not download the pod network manifest from %(url)s: %(error)s. Upload the file instead.")
            % {"url": url, "error": exc}
        ) from None
    if len(body) > MAX_MANIFEST_BYTES:
        raise PortalError(_("The pod network manifest is larger than 5 MiB."))
    return body.decode("utf-8", errors="replace")


def documents(text: str) -> list[dict]:
    """The manifest's objects (List kinds expanded)."""
    try:
        found = [doc for doc in yaml.safe_load_all(text) if doc]
    except yaml.YAMLError as exc:
        raise PortalError(
            _("The pod network manifest is not valid YAML: %(error)s") % {"error": str(exc)[:300]}
        ) from None
    objects = []
    for doc in found:
        if not isinstance(doc, dict) or "kind" not in doc:
            raise PortalError(_("The pod network manifest holds something that is not a Kubernetes object."))
        objects.extend(doc.get("items") or [] if doc["kind"].endswith("List") else [doc])
    return objects


def with_pod_cidr(objects: list[dict], addon: str, cidr: str) -> list[dict]:
    """Set the add-on's pod network to `cidr`: flannel's net-conf.json
    Network, calico's CALICO_IPV4POOL_CIDR. A manifest without the place to
    set it is refused, rather than applied with another network."""
    found = False
    for obj in objects:
        kind, name = obj.get("kind"), obj.get("metadata", {}).get("name")
        if addon == "flannel" and kind == "ConfigMap" and name == "kube-flannel-cfg":
            conf = json.loads(obj["data"]["net-conf.json"])
            conf["Network"] = cidr
            obj["data"]["net-conf.json"] = json.dumps(conf, indent=2)
            found = True
        elif addon == "calico" and kind == "DaemonSet" and name == "calico-node":
            for container in obj["spec"]["template"]["spec"]["containers"]:
                if container.get("name") == "calico-node":
                    env = [e for e in container.get("env", []) if e.get("name") != "CALICO_IPV4POOL_CIDR"]
                    container["env"] = [*env, {"name": "CALICO_IPV4POOL_CIDR", "value": cidr}]
                    found = True
    if not found:
        where = "ConfigMap kube-flannel-cfg" if addon == "flannel" else "DaemonSet calico-node"
        raise PortalError(
            _("This is not a %(addon)s manifest the portal can set the pod network in (no %(where)s).")
            % {"addon": addon, "where": where}
        )
    return objects
