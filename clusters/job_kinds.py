"""Draining a node: cordon, evict its pods through the Eviction API (so
PodDisruptionBudgets are respected), wait for them to go, and report clearly
what could not be evicted."""

import time

from django.utils.translation import gettext_noop

from clusters import kube
from clusters.services.inventory import cluster_nodes_sync
from jobs.registry import JobKind, StepFailed, StepSpec, register
from portal.stored_text import Message

RETRY_SECONDS = 2.0


def _is_daemonset_pod(pod) -> bool:
    return any(ref.kind == "DaemonSet" for ref in pod.metadata.owner_references or [])


def _is_mirror_pod(pod) -> bool:
    return "kubernetes.io/config.mirror" in (pod.metadata.annotations or {})


def _pods_on(client, node_name):
    return list(client.list_paged(client.core.list_pod_for_all_namespaces, field_selector=f"spec.nodeName={node_name}"))


def _evictable(pods):
    return [
        p
        for p in pods
        if not _is_daemonset_pod(p) and not _is_mirror_pod(p) and p.status.phase not in ("Succeeded", "Failed")
    ]


@register
class DrainNode(JobKind):
    name = "node.drain"

    def steps(self, job):
        return [
            StepSpec("cordon", Message(gettext_noop("Cordon the node"))),
            StepSpec("evict", Message(gettext_noop("Evict its pods"))),
            StepSpec("wait", Message(gettext_noop("Wait for the pods to leave"))),
        ]

    def run_step(self, ctx, step):
        job = ctx.job
        node_name = job.params["node"]
        with kube.client_for(job.cluster) as client:
            if step.name == "cordon":
                node = client.core.read_node(node_name)
                if node.spec.unschedulable:
                    ctx.log(Message(gettext_noop("%(node)s is already cordoned."), node=node_name))
                    return "skipped"
                client.core.patch_node(node_name, {"spec": {"unschedulable": True}})
                ctx.log(Message(gettext_noop("Cordoned %(node)s."), node=node_name))
            elif step.name == "evict":
                evict_pods(ctx, client, node_name, job.params.get("timeout_seconds", 300))
            elif step.name == "wait":
                wait_drained(ctx, client, node_name, job.params.get("timeout_seconds", 300))
                cluster_nodes_sync(cluster=job.cluster, client=client)
        return None


def evict_pods(ctx, client, node_name, timeout):
    """Evict every pod but DaemonSets' and static ones, waiting out
    PodDisruptionBudgets until `timeout`."""
    pods = _pods_on(client, node_name)
    skipped = [p for p in pods if _is_daemonset_pod(p) or _is_mirror_pod(p)]
    for pod in skipped:
        ctx.log(
            Message(
                gettext_noop("Left %(pod)s (DaemonSet or static pod)."),
                pod=f"{pod.metadata.namespace}/{pod.metadata.name}",
            )
        )
    # Pods already being deleted leave by themselves; the wait step sees them go.
    pending = {(p.metadata.namespace, p.metadata.name) for p in _evictable(pods) if not p.metadata.deletion_timestamp}
    if not pending:
        ctx.log(Message(gettext_noop("No pods to evict.")))
        return
    deadline = time.monotonic() + timeout
    blocked: dict[tuple[str, str], str] = {}
    while pending:
        ctx.check_canceled()
        for namespace, name in sorted(pending):
            eviction = kube.k8s.V1Eviction(
                metadata=kube.k8s.V1ObjectMeta(name=name, namespace=namespace),
            )
            try:
                client.core.create_namespaced_pod_eviction(name, namespace, eviction)
            except kube.KubeNotFound:
                pass  # gone already
            except kube.KubeForbidden as exc:
                if "being terminated" not in exc.message:
                    raise
                # Its namespace is being deleted: the pod goes with it.
            except kube.KubeTooManyRequests as exc:
                if (namespace, name) not in blocked:
                    ctx.log(
                        Message(
                            gettext_noop("Waiting: %(pod)s is protected by a PodDisruptionBudget (%(reason)s)"),
                            pod=f"{namespace}/{name}",
                            reason=exc.message,
                        )
                    )
                blocked[(namespace, name)] = exc.message
                continue
            ctx.log(Message(gettext_noop("Evicted %(pod)s."), pod=f"{namespace}/{name}"))
            blocked.pop((namespace, name), None)
            pending.discard((namespace, name))
        if not pending:
            return
        if time.monotonic() > deadline:
            # The reasons are the API server's words: shown as they are.
            report = "; ".join(f"{ns}/{n}: {blocked.get((ns, n), 'not evicted')}" for ns, n in sorted(pending))
            raise StepFailed(
                Message(
                    gettext_noop(
                        "%(count)d pod(s) could not be evicted within %(seconds)ss (the node stays cordoned): %(report)s"
                    ),
                    count=len(pending),
                    seconds=timeout,
                    report=report,
                )
            )
        time.sleep(RETRY_SECONDS)


def wait_drained(ctx, client, node_name, timeout):
    """Until only DaemonSets' and static pods are left on the node."""
    deadline = time.monotonic() + timeout
    while True:
        ctx.check_canceled()
        left = _evictable(_pods_on(client, node_name))
        if not left:
            ctx.log(Message(gettext_noop("%(node)s is drained."), node=node_name))
            return
        if time.monotonic() > deadline:
            names = ", ".join(f"{p.metadata.namespace}/{p.metadata.name}" for p in left)
            raise StepFailed(
                Message(
                    gettext_noop("Pods still on %(node)s after %(seconds)ss: %(pods)s"),
                    node=node_name,
                    seconds=timeout,
                    pods=names,
                )
            )
        time.sleep(RETRY_SECONDS)
