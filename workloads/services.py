"""Workload writes, made as the requesting user (impersonated), so the API
server's RBAC and quota admission decide, not only the portal; see
`workloads.selectors.client_as`."""

from clusters import kube
from rbac.models import TeamNamespace
from workloads.selectors import client_as


def _resources(cpu: str, memory: str):
    values = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    return kube.k8s.V1ResourceRequirements(requests=values, limits=values) if values else None


def deployment_create(
    *, user, namespace: TeamNamespace, name: str, image: str, replicas: int = 1, cpu: str = "", memory: str = ""
) -> dict:
    """Create a Deployment in a team namespace on behalf of `user`."""
    k = kube.k8s
    labels = {"app.kubernetes.io/name": name}
    body = k.V1Deployment(
        metadata=k.V1ObjectMeta(name=name, labels=labels),
        spec=k.V1DeploymentSpec(
            replicas=replicas,
            selector=k.V1LabelSelector(match_labels=labels),
            template=k.V1PodTemplateSpec(
                metadata=k.V1ObjectMeta(labels=labels),
                spec=k.V1PodSpec(containers=[k.V1Container(name=name, image=image, resources=_resources(cpu, memory))]),
            ),
        ),
    )
    with client_as(user, namespace) as client:
        created = client.apps.create_namespaced_deployment(namespace.name, body)
        return client.to_dict(created)


def deployment_delete(*, user, namespace: TeamNamespace, name: str) -> None:
    with client_as(user, namespace) as client:
        client.apps.delete_namespaced_deployment(name, namespace.name)
