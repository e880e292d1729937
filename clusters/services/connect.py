"""Connecting to a cluster before its credentials are saved.

An import (or a credential rotation) is accepted only when the API server
answers with those credentials: version, `/readyz`, and a read the portal's
platform work needs (listing nodes). Otherwise the user gets the clear
translated error and nothing is saved.
"""

from django.utils.translation import gettext_noop

from clusters import kube
from portal.stored_text import Message


def cluster_connect_check(*, kubeconfig: str, timeout: float = 10.0) -> dict:
    """Talk to the cluster a reduced kubeconfig names; return what was found."""
    with kube.client_from_kubeconfig(kubeconfig, timeout=(min(5.0, timeout), timeout)) as client:
        version = client.version()
        status, body = client.get_text("/readyz")
        try:
            nodes = sum(1 for _node in client.list_paged(client.core.list_node, limit=100))
        except kube.KubeForbidden as exc:
            raise kube.KubeForbidden(
                Message(
                    gettext_noop(
                        "These credentials cannot list nodes; the portal needs cluster-admin level access "
                        "for platform work (%(detail)s)."
                    ),
                    detail=exc.text,
                )
            ) from None
    return {
        "server": client.server,
        "version": version["git_version"],
        "ready": status == 200,
        "readyz": body.strip()[:500],
        "nodes": nodes,
    }
