"""Cluster records and their credentials."""

import logging

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clusters import kubeconfig as kc
from clusters.models import Cluster
from portal.errors import PortalError

logger = logging.getLogger(__name__)


def credentials_from_kubeconfig(text: str, context: str | None) -> dict:
    """Check a pasted kubeconfig and reduce it to the fields a Cluster stores."""
    reduced, facts = kc.reduce_to_context(kc.parse(text), context or None)
    return {
        "kubeconfig": kc.dump(reduced),
        "kubeconfig_context": facts["context"],
        "credential_kind": facts["credential_kind"],
        "api_server_url": facts["server"],
    }


@transaction.atomic
def cluster_create(
    *, name: str, slug: str, description: str = "", kubeconfig: str = "", context: str = "", **extra
) -> Cluster:
    """Record a cluster; with a kubeconfig, its credentials are checked and encrypted."""
    fields = credentials_from_kubeconfig(kubeconfig, context) if kubeconfig else {}
    if fields:
        fields["credentials_rotated"] = timezone.now()
    cluster = Cluster(name=name, slug=slug, description=description, **extra, **fields)
    cluster.full_clean()
    cluster.save()
    return cluster


@transaction.atomic
def cluster_update(*, cluster: Cluster, kubeconfig: str = "", context: str = "", **changes) -> Cluster:
    """Change a cluster's record; a new kubeconfig replaces the credentials (rotation)."""
    for field, value in changes.items():
        setattr(cluster, field, value)
    if kubeconfig:
        for field, value in credentials_from_kubeconfig(kubeconfig, context).items():
            setattr(cluster, field, value)
        cluster.credentials_rotated = timezone.now()
    cluster.full_clean()
    cluster.save()
    return cluster


@transaction.atomic
def cluster_delete(*, cluster: Cluster) -> None:
    """Forget a cluster. The real cluster is never touched.

    Records of namespaces that are gone (deleted, or rejected before they
    existed) go with it; a live one keeps the cluster (409, ProtectedError)."""
    cluster.team_namespaces.gone().delete()
    cluster.delete()


def _reduce_and_connect(kubeconfig: str, context: str) -> tuple[dict, dict]:
    """Reduce the kubeconfig to one context and talk to the cluster with it.

    A cluster that does not answer, or refuses the credentials, is a problem
    with the kubeconfig the user gave: reported on that field (400)."""
    from clusters import kube
    from clusters.services.connect import cluster_connect_check

    fields = credentials_from_kubeconfig(kubeconfig, context)
    try:
        found = cluster_connect_check(kubeconfig=fields["kubeconfig"])
    except kube.KubeError as exc:
        raise PortalError(exc.message, field_errors={"kubeconfig": [exc.message]}) from None
    return fields, found


def cluster_import(
    *, name: str, slug: str, kubeconfig: str, context: str = "", description: str = "", **extra
) -> tuple[Cluster, dict]:
    """Import an existing cluster: the record's own rules first (a taken name
    costs no connection), then the connect check; only a cluster that answers
    with these credentials is saved. Returns the cluster and what it answered."""
    if not kubeconfig:
        raise PortalError(_("A kubeconfig is required."), field_errors={"kubeconfig": [_("This field is required.")]})
    Cluster(name=name, slug=slug, description=description, **extra).full_clean(exclude=["kubeconfig", "api_server_url"])
    fields, found = _reduce_and_connect(kubeconfig, context)
    with transaction.atomic():
        cluster = Cluster(
            name=name, slug=slug, description=description, credentials_rotated=timezone.now(), **extra, **fields
        )
        cluster.full_clean()
        cluster.save()
    return cluster_check_connected(cluster=cluster), found


def cluster_check_connected(*, cluster: Cluster) -> Cluster:
    """Check a cluster that just answered with its credentials (imported, or
    its credentials replaced), and read its nodes, now: this is quick, and its
    page shows the phase and node counts at once instead of Pending (or the
    old credentials' verdict) until the next sweep. Returns it as checked.

    The record stays whatever the check finds (the phase says what). A bug in
    the check must not undo a change that succeeded: it is logged, and the
    cluster keeps its phase for the sweep."""
    from clusters.services.health import cluster_check_now

    try:
        checked, _counts, sync_error = cluster_check_now(cluster=cluster)
    except Exception:
        logger.exception("Check of cluster %s failed", cluster.slug)
        return cluster
    if sync_error:
        logger.info("Check of cluster %s: %s", cluster.slug, sync_error)
    return checked


def cluster_check_by_id(*, cluster_id: int) -> str | None:
    """A cluster's check, for a task: its phase after it (None if it is gone)."""
    cluster = Cluster.objects.filter(pk=cluster_id).first()
    return cluster_check_connected(cluster=cluster).phase if cluster else None


def cluster_check_soon(*, cluster: Cluster) -> None:
    """Check a cluster in the background right after this transaction (its
    page found it never checked). One request per cluster at a time."""
    from clusters.tasks import cluster_check

    if cache.add(f"clusters:check:{cluster.pk}", True, timeout=60):
        cluster_id = cluster.pk
        # Robust: a broker that is down must not turn the page that asked into an error.
        transaction.on_commit(lambda: cluster_check.delay(cluster_id), robust=True)


def cluster_credentials_replace(*, cluster: Cluster, kubeconfig: str, context: str = "") -> tuple[Cluster, dict]:
    """Rotate a cluster's credentials; the new ones must work before they replace the old."""
    fields, found = _reduce_and_connect(kubeconfig, context)
    with transaction.atomic():
        cluster = Cluster.objects.select_for_update().get(pk=cluster.pk)
        for field, value in fields.items():
            setattr(cluster, field, value)
        cluster.credentials_rotated = timezone.now()
        cluster.save()
    # As read back: encrypted fields are revealed from what was stored.
    cluster.refresh_from_db()
    return cluster, found
