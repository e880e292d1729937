"""Importing a cluster: each supported credential kind works; a wrong server,
a certificate the CA does not match, a revoked token or an exec plugin each
give a clear error, and nothing is saved."""

import base64
import socket

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from clusters import kube
from clusters.models import Cluster
from tests.clusters.conftest import wait_for

pytestmark = pytest.mark.devcluster


@pytest.fixture
def admin_web(client, world):
    client.force_login(world.admin)
    return client


def _import(client, config: dict):
    return client.post("/clusters/new/", {"name": "Imported", "slug": "imported", "kubeconfig": yaml.safe_dump(config)})


def _token_for_cluster_admin(devcluster, admin, name):
    """A service account token bound to cluster-admin: the token credential kind."""
    token = devcluster.service_account_token("kube-system", name)
    k = kube.k8s
    admin.rbac.create_cluster_role_binding(
        k.V1ClusterRoleBinding(
            metadata=k.V1ObjectMeta(name=f"{name}-admin"),
            role_ref=k.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="cluster-admin"),
            subjects=[k.RbacV1Subject(kind="ServiceAccount", name=name, namespace="kube-system")],
        )
    )
    return token


def _other_ca() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "some-other-ca")])
    import datetime

    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(cert.public_bytes(serialization.Encoding.PEM)).decode()


def test_it_imports_with_a_client_certificate(admin_web, devcluster):
    response = _import(admin_web, devcluster.admin_kubeconfig_dict())
    assert response.status_code == 302, response.content.decode()[-2000:]
    cluster = Cluster.objects.get(slug="imported")
    assert cluster.credential_kind == "client-certificate"
    assert "client-key-data" in cluster.kubeconfig.reveal()


def test_it_imports_with_a_bearer_token_and_refuses_it_once_revoked(admin_web, devcluster, admin):
    token = _token_for_cluster_admin(devcluster, admin, "portal-import")
    config = devcluster.kubeconfig_dict("portal-import", token=token)
    # RBAC sees the new binding through an informer: wait until the token may list nodes.
    wait_for(lambda: kube.client_from_kubeconfig(yaml.safe_dump(config)).core.list_node(), 10, what="binding")
    assert _import(admin_web, config).status_code == 302
    assert Cluster.objects.get(slug="imported").credential_kind == "token"
    Cluster.objects.filter(slug="imported").delete()

    admin.core.delete_namespaced_service_account("portal-import", "kube-system")
    # The authenticator learns of the deletion through an informer: wait for it.
    wait_for(lambda: _rejected(config), 45, 0.5, what="the revoked token to be refused")
    response = _import(admin_web, config)
    assert response.status_code == 400
    assert "refused the portal" in response.content.decode()
    assert not Cluster.objects.filter(slug="imported").exists()


def _rejected(config) -> bool:
    try:
        with kube.client_from_kubeconfig(yaml.safe_dump(config)) as client:
            client.core.list_node()
    except kube.ClusterUnauthorized:
        return True
    return False


def _refused(admin_web, config, expected: str):
    response = _import(admin_web, config)
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert not Cluster.objects.filter(slug="imported").exists()


def test_a_wrong_server_is_refused_and_nothing_is_saved(admin_web, devcluster):
    config = devcluster.admin_kubeconfig_dict()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{port}"
    _refused(admin_web, config, "Cannot connect")


def test_a_certificate_the_ca_does_not_match_is_refused(admin_web, devcluster):
    config = devcluster.admin_kubeconfig_dict()
    config["clusters"][0]["cluster"]["certificate-authority-data"] = _other_ca()
    _refused(admin_web, config, "TLS failure")


def test_an_exec_plugin_is_refused_with_the_reason(admin_web, devcluster):
    config = devcluster.admin_kubeconfig_dict()
    config["users"][0]["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "aws"}}
    _refused(admin_web, config, "exec plugin")
