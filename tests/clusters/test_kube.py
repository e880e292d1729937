"""clusters/kube.py against the real API server of the devcluster."""

import time

import pytest
import yaml

from clusters import kube
from clusters.kubeconfig import KubeconfigError
from tests.support import credentials
from tests.support.live import closed_port, pod
from tests.support.wait import wait_for

pytestmark = pytest.mark.devcluster


def _with(config: dict, **cluster_changes) -> str:
    config = yaml.safe_load(yaml.safe_dump(config))
    config["clusters"][0]["cluster"].update(cluster_changes)
    return yaml.safe_dump(config)


def test_it_reads_the_version_and_readiness(admin):
    assert admin.version()["git_version"].startswith("v1.37.")
    status, body = admin.get_text("/readyz", [("verbose", "true")])
    assert status == 200
    assert "[+]etcd ok" in body


def test_it_lists_in_pages(admin):
    names = [node.metadata.name for node in admin.list_paged(admin.core.list_node, limit=1)]
    # One page per node, every node once: the same set as an unpaged list (other tests may add nodes).
    assert len(names) == len(set(names)) >= 3
    assert sorted(names) == sorted(n.metadata.name for n in admin.core.list_node().items)


def test_it_reports_a_closed_port_as_unreachable_quickly(devcluster):
    config = _with(devcluster.admin_kubeconfig_dict(), server=f"https://127.0.0.1:{closed_port()}")
    started = time.monotonic()
    with pytest.raises(kube.ClusterUnreachable) as error, kube.client_from_kubeconfig(config) as client:
        client.version()
    assert time.monotonic() - started < 5
    assert "Connection refused" in error.value.message


def test_it_reports_a_certificate_it_cannot_verify_as_a_tls_failure(devcluster):
    config = _with(
        devcluster.admin_kubeconfig_dict(),
        **{"certificate-authority-data": credentials.other_ca()},
    )
    with pytest.raises(kube.ClusterTLSError) as error, kube.client_from_kubeconfig(config) as client:
        client.version()
    assert "TLS failure" in error.value.message


def test_it_reports_rejected_credentials_as_unauthorized(devcluster):
    config = yaml.safe_dump(devcluster.kubeconfig_dict("nobody", token="not-a-valid-token"))
    with pytest.raises(kube.ClusterUnauthorized) as error, kube.client_from_kubeconfig(config) as client:
        client.core.list_namespace()
    assert "credentials" in error.value.message


def test_it_translates_api_errors(admin, namespace):
    with pytest.raises(kube.KubeNotFound):
        admin.core.read_namespaced_pod("missing", namespace)
    admin.core.create_namespaced_pod(namespace, pod("one"))
    with pytest.raises(kube.KubeConflict):
        admin.core.create_namespaced_pod(namespace, pod("one"))
    with pytest.raises(kube.KubeInvalid) as invalid:
        admin.core.create_namespaced_pod(namespace, pod("Not_A_Name"))
    assert "metadata.name" in invalid.value.field_errors


def test_it_reports_quota_exceeded(admin, namespace):
    admin.core.create_namespaced_resource_quota(
        namespace,
        kube.k8s.V1ResourceQuota(
            metadata=kube.k8s.V1ObjectMeta(name="q"), spec=kube.k8s.V1ResourceQuotaSpec(hard={"pods": "1"})
        ),
    )
    wait_for(
        lambda: (admin.core.read_namespaced_resource_quota("q", namespace).status.used or {}).get("pods") == "0",
        what="quota status",
    )
    admin.core.create_namespaced_pod(namespace, pod("first"))
    with pytest.raises(kube.QuotaExceeded) as error:
        admin.core.create_namespaced_pod(namespace, pod("second"))
    assert "exceeded quota" in error.value.message


def _bind_edit(admin, namespace, group):
    admin.rbac.create_namespaced_role_binding(
        namespace,
        kube.k8s.V1RoleBinding(
            metadata=kube.k8s.V1ObjectMeta(name=f"edit-{group}"),
            role_ref=kube.k8s.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="edit"),
            subjects=[kube.k8s.RbacV1Subject(kind="Group", name=group, api_group="rbac.authorization.k8s.io")],
        ),
    )


def test_it_impersonates_the_user_with_every_group(admin, admin_kubeconfig, make_namespace):
    mine, theirs = make_namespace("mine"), make_namespace("theirs")
    # Only the second group is bound: it proves every group reaches the API server.
    _bind_edit(admin, mine, "portal:team:b:developer")
    identity = kube.Identity.for_username("alice", ["portal:team:a:viewer", "portal:team:b:developer"])

    with kube.client_from_kubeconfig(admin_kubeconfig, identity=identity) as alice:
        review = alice.post_object(
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
        )
        assert review["status"]["userInfo"]["username"] == "portal:alice"
        assert {"portal:team:a:viewer", "portal:team:b:developer"} <= set(review["status"]["userInfo"]["groups"])
        wait_for(lambda: alice.core.list_namespaced_pod(mine) is not None, 10, what="the binding to take effect")
        with pytest.raises(kube.KubeForbidden):
            alice.core.list_namespaced_pod(theirs)
        with pytest.raises(kube.KubeForbidden):
            alice.core.list_namespace()


def test_it_refuses_a_kubeconfig_that_would_run_a_program(devcluster, tmp_path):
    ran = tmp_path / "the-plugin-ran"
    config = devcluster.admin_kubeconfig_dict()
    config["users"][0]["user"] = {
        "exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "/bin/sh", "args": ["-c", f"touch {ran}"]}
    }
    with pytest.raises(KubeconfigError) as error:
        kube.client_from_kubeconfig(yaml.safe_dump(config))
    assert "exec plugin" in error.value.message
    assert not ran.exists()
