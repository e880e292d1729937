"""Starting a bootstrap, and the plan people read before it runs."""

import re

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clusters.bootstrap import kubeadm_config, network, plan
from clusters.bootstrap.spec import ClusterSpec
from clusters.choices import ClusterPhase, ClusterProvider
from clusters.models import ClusterBootstrap
from clusters.services.clusters import cluster_create
from hosts.choices import HostRole
from hosts.models import Host
from portal.errors import PortalError
from portal.stored_text import Message

KIND = "clusters.bootstrap"
SUPPORTED_FAMILIES = ("debian", "rhel")
# A node's name, which the bootstrap also makes the host's hostname.
_NODE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# What the dry run shows where a value is only known once the cluster exists.
CA_HASH_LATER = "sha256:<the new cluster's CA>"


def host_infos(hosts) -> dict[str, plan.HostInfo]:
    return {h.name: plan.HostInfo(h.name, h.address, (h.facts.get("os") or {}).get("family", "")) for h in hosts}


def check_hosts(spec: ClusterSpec, hosts: dict[str, Host], cluster_id: int | None = None) -> None:
    """Each host of the plan can be made a node: its key pinned, its facts
    read (the OS family picks apt or dnf), a node name, in no other cluster."""
    errors: dict[str, list[str]] = {}
    for field, names in (("control_plane", spec.plan.control_plane), ("workers", spec.plan.workers)):
        for name in names:
            host = hosts[name]
            problems = []
            if host.cluster_id and host.cluster_id != cluster_id:
                problems.append(
                    _("%(host)s is in cluster %(cluster)s already.") % {"host": name, "cluster": host.cluster}
                )
            if not host.host_key:
                problems.append(_("%(host)s has no pinned host key: confirm its fingerprint first.") % {"host": name})
            family = (host.facts.get("os") or {}).get("family")
            if family is None:
                problems.append(_("The portal has no facts about %(host)s yet: gather them first.") % {"host": name})
            elif family not in SUPPORTED_FAMILIES:
                problems.append(
                    _("%(host)s runs an OS the bootstrap does not support (Ubuntu, Debian or RHEL-family).")
                    % {"host": name}
                )
            if len(name) > 63 or not _NODE_NAME.match(name):
                problems.append(
                    _("%(host)s cannot be a node name: lower-case letters, digits, '-' and '.', at most 63.")
                    % {"host": name}
                )
            errors.setdefault(field, []).extend(problems)
    errors = {field: messages for field, messages in errors.items() if messages}
    if errors:
        raise PortalError(_("These hosts cannot be made nodes yet."), field_errors=errors)


def bootstrap_steps(spec: ClusterSpec, hosts, *, token: str, ca_hash: str = CA_HASH_LATER) -> list[plan.Step]:
    """The plan with its kubeadm files for these hosts."""
    infos = host_infos(hosts)
    control_plane = infos[spec.plan.control_plane[0]]
    address = spec.advertise_address or control_plane.address
    init = kubeadm_config.init_config(
        spec, node_name=control_plane.name, advertise_address=control_plane.address, token=token
    )
    api_server = f"{address}:{kubeadm_config.API_SERVER_PORT}"
    joins = {
        name: kubeadm_config.join_config(spec, node_name=name, api_server=api_server, token=token, ca_hash=ca_hash)
        for name in spec.plan.workers
    }
    return plan.plan_steps(spec, infos, init_config=init, join_configs=joins)


def bootstrap_preview(*, spec: ClusterSpec) -> list[dict]:
    """The dry run: every step and command per host, before anything runs."""
    hosts = {h.name: h for h in Host.objects.filter(name__in=spec.plan.hosts)}
    check_hosts(spec, hosts)
    return plan.dry_run(bootstrap_steps(spec, hosts.values(), token=plan.SECRET), placeholders=True)


@transaction.atomic
def bootstrap_start(*, name: str, slug: str, spec: ClusterSpec, network_manifest: str = "", user=None):
    """Record the cluster (provisioning), reserve its hosts, and start the
    bootstrap job. A host already in a cluster is refused."""

    hosts = {h.name: h for h in Host.objects.select_for_update().filter(name__in=spec.plan.hosts)}
    check_hosts(spec, hosts)
    if network_manifest:
        try:
            network.with_pod_cidr(network.documents(network_manifest), spec.network_addon, spec.plan.pod_cidr)
        except PortalError as exc:
            raise PortalError(exc.message, field_errors={"network_manifest": [exc.message]}) from None
    cluster = cluster_create(
        name=name,
        slug=slug,
        provider=ClusterProvider.KUBEADM,
        phase=ClusterPhase.PROVISIONING,
        desired_version=spec.version,
    )
    bootstrap = ClusterBootstrap.objects.create(
        cluster=cluster,
        spec=spec.as_params(),
        token=kubeadm_config.bootstrap_token(),
        network_manifest=network_manifest,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    for host_name, host in hosts.items():
        host.cluster = cluster
        host.role = HostRole.CONTROL_PLANE if host_name in spec.plan.control_plane else HostRole.WORKER
        host.save(update_fields=["cluster", "role", "updated"])
    return job_for(bootstrap, title=Message(gettext_noop("Bring up cluster %(name)s"), name=name), user=user)


def job_for(bootstrap: ClusterBootstrap, *, title: "str | Message", user=None):
    """A run of the bootstrap's steps as its spec now stands."""
    from jobs.services import job_create

    return job_create(
        kind=KIND, title=title, params={"bootstrap": bootstrap.pk}, cluster=bootstrap.cluster, created_by=user
    )
