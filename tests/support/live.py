"""The devcluster as tests use it: kubeconfigs (its admin's, a fresh client
certificate, a cluster-admin service-account token), cluster records pointed
at it, and throwaway namespaces and nodes.

The devcluster is shared by every test of a session (and by sessions that
reuse it), so whatever a helper here makes has its deletion next to it; the
fixtures in tests/conftest.py call them when the test ends.
"""

import socket
import uuid

import yaml

from clusters import kube
from tests.support import credentials
from tests.support.wait import wait_for

k8s = kube.k8s


# --- kubeconfigs -----------------------------------------------------------------


def admin_kubeconfig(devcluster) -> str:
    return yaml.safe_dump(devcluster.admin_kubeconfig_dict())


def cert_kubeconfig(devcluster, user="portal-cert", groups=("system:masters",)) -> str:
    """A client-certificate kubeconfig; by default with cluster-admin power
    (group system:masters). Nothing is created in the cluster."""
    return yaml.safe_dump(devcluster.kubeconfig_dict(user, list(groups)))


def token_kubeconfig(devcluster, name: str) -> tuple[str, str]:
    """A ServiceAccount `name` in kube-system bound to cluster-admin; returns
    (kubeconfig, token) once RBAC (an informer) lets the token list nodes.
    `delete_token_identity` removes both objects."""
    token = devcluster.service_account_token("kube-system", name)
    with kube.client_from_kubeconfig(admin_kubeconfig(devcluster)) as admin:
        admin.rbac.create_cluster_role_binding(
            k8s.V1ClusterRoleBinding(
                metadata=k8s.V1ObjectMeta(name=f"{name}-admin"),
                role_ref=k8s.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="cluster-admin"),
                subjects=[k8s.RbacV1Subject(kind="ServiceAccount", name=name, namespace="kube-system")],
            )
        )
    text = yaml.safe_dump(devcluster.kubeconfig_dict(name, token=token))

    def may_list_nodes():
        with kube.client_from_kubeconfig(text) as client:
            return client.core.list_node(limit=1) is not None

    wait_for(may_list_nodes, 15, what="the token's cluster-admin binding")
    return text, token


def delete_token_identity(devcluster, name: str) -> None:
    """Undo `token_kubeconfig`: its ClusterRoleBinding and ServiceAccount."""
    with kube.client_from_kubeconfig(admin_kubeconfig(devcluster)) as admin:
        for delete in (
            lambda: admin.rbac.delete_cluster_role_binding(f"{name}-admin"),
            lambda: admin.core.delete_namespaced_service_account(name, "kube-system"),
        ):
            try:
                delete()
            except kube.KubeNotFound:
                pass


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unreachable_kubeconfig() -> str:
    """Well formed, pointing at a loopback port nothing listens on."""
    return credentials.kubeconfig(server=f"https://127.0.0.1:{closed_port()}")


def set_credentials(cluster, text: str):
    """Store credentials without the connect check (a test arranging state)."""
    from clusters.services.clusters import credentials_from_kubeconfig

    fields = credentials_from_kubeconfig(text, None)
    for name, value in fields.items():
        setattr(cluster, name, value)
    cluster.save()
    cluster.refresh_from_db()  # the field reads back as a Secret
    return cluster


# --- objects of a test's own -------------------------------------------------------


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_namespace(core, prefix: str = "t", name: str | None = None) -> str:
    """Create a namespace and wait for its `default` ServiceAccount (pods made
    before the controller made it are refused). `core` is any CoreV1Api, the
    portal's (KubeClient.core) or the official client's."""
    name = name or unique(prefix)
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name)))
    wait_for(
        lambda: core.read_namespaced_service_account("default", name), 30, what=f"serviceaccount default in {name}"
    )
    return name


def delete_namespace(core, name: str) -> None:
    """Delete a namespace if it is there (it finalizes in the background)."""
    try:
        core.delete_namespace(name)
    except (kube.KubeNotFound, kube.ApiException) as exc:
        if getattr(exc, "status", 404) != 404:
            raise


def create_node(devcluster, name=None) -> str:
    """A Node object of our own in the devcluster: no kubelet (kwok manages only
    annotated nodes), so nothing runs on it and changing it disturbs no other test."""
    name = name or f"api-node-{uuid.uuid4().hex[:6]}"
    with kube.client_from_kubeconfig(admin_kubeconfig(devcluster)) as admin:
        admin.core.create_node(k8s.V1Node(metadata=k8s.V1ObjectMeta(name=name, labels={"portal-test": "api"})))
    return name


def delete_node(devcluster, name: str) -> None:
    with kube.client_from_kubeconfig(admin_kubeconfig(devcluster)) as admin:
        try:
            admin.core.delete_node(name)
        except kube.KubeNotFound:
            pass


def ready_node_names(core) -> list[str]:
    """The names of the cluster's Ready nodes, sorted (nodes other tests make
    have no kubelet and are never Ready)."""
    return sorted(
        n.metadata.name
        for n in core.list_node().items
        if any(c.type == "Ready" and c.status == "True" for c in n.status.conditions or [])
    )


def node_counts(core) -> tuple[int, int]:
    """(Ready, all) nodes of the cluster, read live: not a constant while
    other tests add nodes of their own."""
    return len(ready_node_names(core)), len(core.list_node().items)


def pod(name, *, node: str = "", image: str = "registry.example/app:1", **resources):
    """A one-container pod labelled app=<name>, with `resources` as requests
    and limits; `node` binds it (kwok runs pods on its nodes)."""
    container = k8s.V1Container(name="app", image=image)
    if resources:
        container.resources = k8s.V1ResourceRequirements(requests=resources, limits=resources)
    return k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name=name, labels={"app": name}),
        spec=k8s.V1PodSpec(containers=[container], node_name=node or None),
    )


def deployment(name, replicas: int, *, image: str = "registry.example/app:1", node: str = ""):
    """A Deployment of one-container pods labelled app=<name>; `node` pins
    them to that node by its hostname label."""
    labels = {"app": name}
    return k8s.V1Deployment(
        metadata=k8s.V1ObjectMeta(name=name),
        spec=k8s.V1DeploymentSpec(
            replicas=replicas,
            selector=k8s.V1LabelSelector(match_labels=labels),
            template=k8s.V1PodTemplateSpec(
                metadata=k8s.V1ObjectMeta(labels=labels),
                spec=k8s.V1PodSpec(
                    node_selector={"kubernetes.io/hostname": node} if node else None,
                    containers=[k8s.V1Container(name="app", image=image)],
                ),
            ),
        ),
    )


def delete_portal_objects(devcluster) -> list[str]:
    """Delete what the portal made in the devcluster for this test's database:
    the namespace of every TeamNamespace row, if it carries that row's
    ownership annotation (a namespace the portal does not own is never
    touched), and the member identities (ServiceAccounts in the identity
    namespace) of the test's teams. The identity namespace and the team
    ClusterRoles stay: every test applies the same ones. Returns the names of
    the namespaces deleted."""
    from portal.teams import Team
    from rbac import provisioning
    from rbac.models import TeamNamespace
    from rbac.namespace_names import OWNER_ANNOTATION

    deleted = []
    with kube.client_from_kubeconfig(admin_kubeconfig(devcluster)) as admin:
        for name, uid in TeamNamespace.objects.values_list("name", "uid"):
            try:
                found = admin.core.read_namespace(name)
            except kube.KubeNotFound:
                continue
            if (found.metadata.annotations or {}).get(OWNER_ANNOTATION) == str(uid):
                delete_namespace(admin.core, name)
                deleted.append(name)
        slugs = set(Team.objects.values_list("slug", flat=True))
        identities = provisioning.identity_namespace()
        try:
            accounts = admin.core.list_namespaced_service_account(
                identities, label_selector=provisioning.MANAGED_SELECTOR
            ).items
        except kube.KubeNotFound:
            accounts = []
        for account in accounts:
            if (account.metadata.labels or {}).get(provisioning.TEAM_LABEL) in slugs:
                try:
                    admin.core.delete_namespaced_service_account(account.metadata.name, identities)
                except kube.KubeNotFound:
                    pass
    return deleted
