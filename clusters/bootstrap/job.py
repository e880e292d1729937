"""The bootstrap job: the plan's steps on their hosts, in stages, and the
portal's own steps (register the cluster, the pod network, nodes Ready).

Every step checks before it changes (hosts.actions; server-side apply), so a
resumed or repeated bootstrap continues where it stopped and changes nothing
that is done.
"""

import time
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_noop

from clusters import kube
from clusters.bootstrap import kubeadm_config, network, plan, services
from clusters.bootstrap.spec import DEFAULT_ADDON_MANIFESTS, ClusterSpec
from clusters.models import ClusterBootstrap
from hosts import actions, jobwork
from hosts.models import Host
from jobs.registry import JobKind, StepFailed, StepSpec, register
from portal.stored_text import Message, join

HOST_STAGES = ("prepare", "runtime", "packages", "init", "join")
# Per step: how long a host may take, and how often a transient failure
# (a lost connection, apt's lock) is retried.
STEP_LIMITS = {
    "prepare": {"timeout": 900, "retries": 2},
    "runtime": {"timeout": 1200, "retries": 3},
    "packages": {"timeout": 1200, "retries": 3},
    "init": {"timeout": 1200},
    "register": {"timeout": 300, "retries": 2},
    "network": {"timeout": 300, "retries": 2},
    "join": {"timeout": 1200, "retries": 1},
    "ready": {"timeout": 900},
}
WORKER_ROLE_LABEL = "node-role.kubernetes.io/worker"
READY_POLL_SECONDS = 3.0


def _then_resume(what_to_do: str) -> list:
    # Stored with the failed step as message ids: shown in the reader's language.
    return join(
        Message(what_to_do), " ", Message(gettext_noop("Then resume the job: the steps already done are skipped."))
    )


FAILURE_HINTS = {
    "prepare": _then_resume(gettext_noop("What to do: read the command's output above and fix the host.")),
    "runtime": _then_resume(
        gettext_noop("What to do: check that the host reaches the runtime's package repository (the runtime mirror).")
    ),
    "packages": _then_resume(
        gettext_noop(
            "What to do: check that the host reaches the Kubernetes package repository (the packages mirror)"
            " and that it has the chosen version."
        )
    ),
    "init": _then_resume(
        gettext_noop(
            "What to do: kubeadm names the failed check or phase above; on the host, `journalctl -xeu kubelet`"
            " shows the kubelet's side. Fix it, and run `kubeadm reset -f` on the host if init got part-way."
        )
    ),
    "register": _then_resume(
        gettext_noop("What to do: the portal must reach the API server at the advertise address on port 6443.")
    ),
    "network": _then_resume(
        gettext_noop(
            "What to do: if the portal cannot download the add-on's manifest, bring the cluster up with the file uploaded."
        )
    ),
    "join": _then_resume(
        gettext_noop(
            "What to do: the worker must reach the control plane on port 6443; kubeadm's output above says"
            " what failed. Run `kubeadm reset -f` on the worker if it joined part-way."
        )
    ),
    "ready": _then_resume(
        gettext_noop(
            "What to do: a node that stays NotReady usually lacks its pod network: check the add-on's Pods"
            " and the kubelet's log on the node (`journalctl -xeu kubelet`)."
        )
    ),
}


def _bootstrap(job) -> ClusterBootstrap:
    return ClusterBootstrap.objects.select_related("cluster").get(pk=job.params["bootstrap"])


@register
class Bootstrap(JobKind):
    name = services.KIND
    # Package downloads on slow mirrors: a bootstrap may take its time.
    time_limit = 3 * 3600

    def steps(self, job):
        bootstrap = _bootstrap(job)
        spec = ClusterSpec.from_params(bootstrap.spec)
        hosts = Host.objects.filter(name__in=spec.plan.hosts)
        planned = services.bootstrap_steps(spec, hosts, token=plan.SECRET)
        return [StepSpec(step.name, step.title, hosts=list(step.hosts), **STEP_LIMITS[step.name]) for step in planned]

    def spec_for(self, step) -> StepSpec:
        # The runner asks this for every step it runs: the limits are known
        # by the step's name, without rendering the whole plan again.
        return StepSpec(step.name, step.title, hosts=[step.host] if step.host else [], **STEP_LIMITS[step.name])

    def failure_hint(self, step):
        return FAILURE_HINTS.get(step.name, "")

    def run_step(self, ctx, step):
        bootstrap = _bootstrap(ctx.job)
        ctx.hide(bootstrap.token.reveal())
        spec = ClusterSpec.from_params(bootstrap.spec)
        if step.name in HOST_STAGES:
            return _host_stage(ctx, step, bootstrap, spec)
        if step.name == "register":
            return _register(ctx, bootstrap)
        if step.name == "network":
            return _network(ctx, bootstrap, spec)
        if step.name == "ready":
            return _ready(ctx, bootstrap, spec)
        raise StepFailed(Message(gettext_noop("This bootstrap has no step %(name)s."), name=step.name))


def _host_stage(ctx, step, bootstrap: ClusterBootstrap, spec: ClusterSpec):
    """This host's actions of the step; the plan is rendered (and, for the
    join, the token made valid) once per step, not once per host."""

    def render():
        hosts = Host.objects.filter(name__in=spec.plan.hosts)
        token = bootstrap.token.reveal()
        ca_hash = services.CA_HASH_LATER
        if step.name == "join":
            ca_hash = kubeadm_config.ca_hash_from_kubeconfig(bootstrap.cluster.kubeconfig.reveal())
            _join_token_refresh(bootstrap, token)
        return {s.name: s for s in services.bootstrap_steps(spec, hosts, token=token, ca_hash=ca_hash)}

    planned = ctx.shared(("bootstrap-plan", step.name), render)
    return None if actions.apply(ctx, planned[step.name].actions[step.host]) else "skipped"


def _join_token_refresh(bootstrap: ClusterBootstrap, token: str) -> None:
    """The init's token lives two hours; a join (or a resume) later than that
    needs it valid again: the portal writes the token's Secret itself."""
    secret = kubeadm_config.bootstrap_token_secret(token, expires=timezone.now() + timedelta(hours=1))
    with kube.client_for(bootstrap.cluster) as client:
        client.apply_object(secret)


def _register(ctx, bootstrap: ClusterBootstrap):
    """The admin kubeconfig from the control plane, checked by connecting and
    stored encrypted, as an import does; then a health check."""
    from clusters.services.clusters import cluster_credentials_replace
    from clusters.services.health import cluster_check_now

    result = jobwork.run(ctx, "cat /etc/kubernetes/admin.conf", sudo=True, quiet=True)
    kubeconfig = result.stdout
    ctx.hide(kubeconfig)
    if bootstrap.cluster.kubeconfig and bootstrap.cluster.kubeconfig.reveal() == kubeconfig:
        ctx.log(Message(gettext_noop("The portal has this cluster's credentials already.")))
        return "skipped"
    cluster, found = cluster_credentials_replace(cluster=bootstrap.cluster, kubeconfig=kubeconfig)
    ctx.log(Message(gettext_noop("Registered: the API server at %(server)s answers."), server=cluster.api_server_url))
    cluster_check_now(cluster=cluster)
    return None


def _network(ctx, bootstrap: ClusterBootstrap, spec: ClusterSpec):
    text = bootstrap.network_manifest or network.manifest_fetch(
        spec.network_manifest_url or DEFAULT_ADDON_MANIFESTS[spec.network_addon]
    )
    objects = network.with_pod_cidr(network.documents(text), spec.network_addon, spec.plan.pod_cidr)
    with kube.client_for(bootstrap.cluster) as client:
        for obj in objects:
            client.apply_object(obj)
    ctx.log(
        Message(
            gettext_noop("Applied %(count)d objects of %(addon)s with the pod network %(cidr)s."),
            count=len(objects),
            addon=spec.network_addon,
            cidr=spec.plan.pod_cidr,
        )
    )
    return None


def _ready(ctx, bootstrap: ClusterBootstrap, spec: ClusterSpec):
    """Every planned node registered and Ready; workers labelled as such."""
    from clusters.services.health import cluster_check_now
    from clusters.services.inventory import cluster_nodes_sync

    wanted = set(spec.plan.hosts)
    said = None
    with kube.client_for(bootstrap.cluster) as client:
        while True:
            nodes = {node.metadata.name: node for node in client.core.list_node().items}
            waiting = sorted(name for name in wanted if not _is_ready(nodes.get(name)))
            if not waiting:
                break
            if waiting != said:  # say it when it changes, not every poll
                ctx.log(Message(gettext_noop("Waiting for %(nodes)s to be Ready."), nodes=", ".join(waiting)))
                said = waiting
            ctx.check_canceled()
            time.sleep(READY_POLL_SECONDS)
        for name in spec.plan.workers:
            if WORKER_ROLE_LABEL not in (nodes[name].metadata.labels or {}):
                client.core.patch_node(name, {"metadata": {"labels": {WORKER_ROLE_LABEL: ""}}})
        cluster_nodes_sync(cluster=bootstrap.cluster, client=client)
    # The cluster's phase from a health check with every node in.
    cluster_check_now(cluster=bootstrap.cluster)
    ctx.log(Message(gettext_noop("All %(count)d nodes are Ready."), count=len(wanted)))
    return None


def _is_ready(node) -> bool:
    if node is None:
        return False
    return any(c.type == "Ready" and c.status == "True" for c in (node.status.conditions or []))
