"""A kubeadm cluster the portal brought up, after it runs: more workers, and
a worker taken out.

Adding workers puts them in the bootstrap's spec and runs the bootstrap again:
every step checks before it changes, so the hosts already in the cluster
only get the new /etc/hosts block, and the new ones are prepared and joined
with a fresh token. Removing a worker is a job of its own: drain, `kubeadm
reset` on the host, delete the Node, and the host is free again.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clusters import kube
from clusters.bootstrap import kubeadm_config, services
from clusters.bootstrap.spec import CRI_SOCKET, ClusterSpec, spec_validate
from clusters.job_kinds import evict_pods, wait_drained
from clusters.models import Cluster, ClusterBootstrap, Node
from hosts import actions
from hosts.choices import HostRole
from hosts.models import Host
from jobs.choices import JOB_TERMINAL
from jobs.models import Job
from jobs.registry import JobKind, StepFailed, StepSpec, register
from portal.errors import ConflictError, PortalError
from portal.stored_text import Message

NODE_REMOVE_KIND = "clusters.node_remove"
DRAIN_TIMEOUT = 300


def _bootstrap_of(cluster: Cluster) -> ClusterBootstrap:
    # Locked: two changes to one cluster's hosts wait for each other.
    bootstrap = ClusterBootstrap.objects.select_for_update().filter(cluster=cluster).first()
    if bootstrap is None:
        raise PortalError(_("Only a cluster the portal brought up with kubeadm has hosts to add or remove."))
    busy = Job.objects.filter(cluster=cluster, kind__in=(services.KIND, NODE_REMOVE_KIND)).exclude(
        status__in=JOB_TERMINAL
    )
    if busy.exists():
        raise ConflictError(_("A job is changing this cluster's hosts already: wait for it to finish."))
    return bootstrap


@transaction.atomic
def cluster_workers_add(*, cluster: Cluster, workers: list[str], user=None) -> Job:
    """Put `workers` in the cluster: the same steps as the bring-up, with a
    new token. The hosts are checked as for a bring-up (the plan's rules,
    pinned key, facts, in no other cluster)."""
    bootstrap = _bootstrap_of(cluster)
    spec = ClusterSpec.from_params(bootstrap.spec)
    names = [str(name).strip() for name in workers or () if str(name).strip()]
    if not names:
        raise PortalError(_("Choose the hosts to add."), field_errors={"workers": [_("Choose at least one host.")]})
    already = [name for name in names if name in spec.plan.hosts]
    if already:
        raise PortalError(
            _("These hosts are in the cluster already."),
            field_errors={"workers": [_("%(hosts)s in the cluster already.") % {"hosts": ", ".join(already)}]},
        )
    params = spec.as_params()
    plan = params.pop("plan")
    grown = spec_validate(**params, **{**plan, "workers": [*spec.plan.workers, *names]})
    hosts = {h.name: h for h in Host.objects.select_for_update().filter(name__in=grown.plan.hosts)}
    services.check_hosts(grown, hosts, cluster_id=cluster.pk)
    bootstrap.spec = grown.as_params()
    bootstrap.token = kubeadm_config.bootstrap_token()  # a new token for the new nodes
    bootstrap.save(update_fields=["spec", "token"])
    Host.objects.filter(name__in=names).update(cluster=cluster, role=HostRole.WORKER)
    return services.job_for(
        bootstrap,
        title=Message(gettext_noop("Add %(hosts)s to %(cluster)s"), hosts=", ".join(names), cluster=str(cluster)),
        user=user,
    )


@transaction.atomic
def cluster_bootstrap_rerun(*, cluster: Cluster, user=None) -> Job:
    """The bring-up's steps again, as the spec stands: every step checks
    first, so on a cluster that is as planned nothing changes; what drifted
    (a file edited, a package unheld) is put back."""
    bootstrap = _bootstrap_of(cluster)
    return services.job_for(
        bootstrap, title=Message(gettext_noop("Check and repair %(cluster)s"), cluster=str(cluster)), user=user
    )


@transaction.atomic
def cluster_node_remove(*, cluster: Cluster, host: Host, user=None) -> Job:
    """Start taking a worker out: drain it, `kubeadm reset` it, delete its Node."""
    from jobs.services import job_create

    bootstrap = _bootstrap_of(cluster)
    spec = ClusterSpec.from_params(bootstrap.spec)
    if host.cluster_id != cluster.pk:
        raise PortalError(_("%(host)s is not a host of this cluster.") % {"host": host.name})
    if host.name in spec.plan.control_plane:
        raise PortalError(_("The control plane cannot be removed: it is the cluster."))
    return job_create(
        kind=NODE_REMOVE_KIND,
        title=Message(gettext_noop("Remove %(host)s from %(cluster)s"), host=host.name, cluster=str(cluster)),
        params={"bootstrap": bootstrap.pk, "host": host.name},
        cluster=cluster,
        host=host,
        created_by=user,
    )


RESET = actions.Command(
    run=(
        f"kubeadm reset -f --cri-socket {CRI_SOCKET}"
        # What kubeadm reset leaves, as it says: the CNI configuration and the kubeconfigs it did not write.
        " && rm -rf /etc/cni/net.d /etc/kubernetes/portal"
    ),
    unless="! test -f /etc/kubernetes/kubelet.conf && ! test -d /etc/kubernetes/manifests",
)


@register
class NodeRemove(JobKind):
    name = NODE_REMOVE_KIND
    time_limit = 1800

    def steps(self, job):
        host = job.params["host"]
        return [
            StepSpec("drain", Message(gettext_noop("Drain the node")), timeout=DRAIN_TIMEOUT + 60),
            StepSpec("reset", Message(gettext_noop("kubeadm reset on the host")), hosts=[host], timeout=600, retries=2),
            StepSpec("delete", Message(gettext_noop("Delete the Node and free the host")), timeout=120, retries=2),
        ]

    def run_step(self, ctx, step):
        bootstrap = ClusterBootstrap.objects.select_related("cluster").get(pk=ctx.job.params["bootstrap"])
        name = ctx.job.params["host"]
        if step.name == "reset":
            return None if actions.apply(ctx, [RESET]) else "skipped"
        with kube.client_for(bootstrap.cluster) as client:
            if step.name == "drain":
                return _drain(ctx, client, name)
            if step.name == "delete":
                return _delete(ctx, client, bootstrap, name)
        raise StepFailed(Message(gettext_noop("This job has no step %(name)s."), name=step.name))


def _drain(ctx, client, name):
    try:
        node = client.core.read_node(name)
    except kube.KubeNotFound:
        ctx.log(Message(gettext_noop("The cluster has no Node %(node)s: nothing to drain."), node=name))
        return "skipped"
    if not node.spec.unschedulable:
        client.core.patch_node(name, {"spec": {"unschedulable": True}})
    evict_pods(ctx, client, name, DRAIN_TIMEOUT)
    wait_drained(ctx, client, name, DRAIN_TIMEOUT)
    return None


def _delete(ctx, client, bootstrap: ClusterBootstrap, name):
    from clusters.services.inventory import cluster_nodes_sync

    try:
        client.core.delete_node(name)
        ctx.log(Message(gettext_noop("Deleted the Node %(node)s."), node=name))
    except kube.KubeNotFound:
        ctx.log(Message(gettext_noop("The cluster has no Node %(node)s any more."), node=name))
    with transaction.atomic():
        locked = ClusterBootstrap.objects.select_for_update().get(pk=bootstrap.pk)
        spec = ClusterSpec.from_params(locked.spec)
        params = spec.as_params()
        params["plan"]["workers"] = [w for w in spec.plan.workers if w != name]
        locked.spec = params
        locked.save(update_fields=["spec"])
        Host.objects.filter(name=name, cluster=bootstrap.cluster).update(cluster=None, role="")
        # Removed on purpose: not kept as a missing node, as a vanished one is.
        Node.objects.filter(cluster=bootstrap.cluster, name=name).delete()
    cluster_nodes_sync(cluster=bootstrap.cluster, client=client)
    return None
