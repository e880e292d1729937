"""kubeadm's configuration files, made from a cluster spec.

`kubeadm init --config` reads an InitConfiguration (this node), a
ClusterConfiguration (the cluster) and a KubeletConfiguration; `kubeadm join
--config` a JoinConfiguration. The API version is the one kubeadm 1.31+
reads (v1beta4: extra arguments are lists of name/value pairs).
"""

import base64
import hashlib
import secrets
import string
from datetime import UTC, datetime

import yaml
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from clusters.bootstrap.spec import CRI_SOCKET, ClusterSpec

KUBEADM_API = "kubeadm.k8s.io/v1beta4"
KUBELET_API = "kubelet.config.k8s.io/v1beta1"
API_SERVER_PORT = 6443
_TOKEN_ALPHABET = string.ascii_lowercase + string.digits


def bootstrap_token() -> str:
    """A new bootstrap token, "[a-z0-9]{6}.[a-z0-9]{16}" as kubeadm requires.
    A secret: whoever holds it (and the CA hash) may join a node."""

    def part(length: int) -> str:
        return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(length))

    return f"{part(6)}.{part(16)}"


def ca_cert_hash(ca_public_key_der: bytes) -> str:
    """kubeadm's --discovery-token-ca-cert-hash: sha256 of the CA's
    SubjectPublicKeyInfo (DER)."""
    return "sha256:" + hashlib.sha256(ca_public_key_der).hexdigest()


def _registration(spec: ClusterSpec, node_name: str) -> dict:
    registration = {"name": node_name, "criSocket": CRI_SOCKET}
    if spec.ignore_preflight_errors:
        registration["ignorePreflightErrors"] = list(spec.ignore_preflight_errors)
    return registration


def init_config(spec: ClusterSpec, *, node_name: str, advertise_address: str, token: str) -> str:
    """The three documents of `kubeadm init --config` for the control-plane host."""
    address = spec.advertise_address or advertise_address
    init = {
        "apiVersion": KUBEADM_API,
        "kind": "InitConfiguration",
        "bootstrapTokens": [{"token": token, "ttl": "2h0m0s", "usages": ["signing", "authentication"]}],
        "localAPIEndpoint": {"advertiseAddress": address, "bindPort": API_SERVER_PORT},
        "nodeRegistration": _registration(spec, node_name),
    }
    cluster = {
        "apiVersion": KUBEADM_API,
        "kind": "ClusterConfiguration",
        "kubernetesVersion": spec.version,
        "imageRepository": spec.image_repository,
        "controlPlaneEndpoint": f"{address}:{API_SERVER_PORT}",
        "networking": {"podSubnet": spec.plan.pod_cidr, "serviceSubnet": spec.plan.service_cidr},
    }
    kubelet = {"apiVersion": KUBELET_API, "kind": "KubeletConfiguration", "cgroupDriver": "systemd"}
    return yaml.safe_dump_all([init, cluster, kubelet], sort_keys=False)


def join_config(spec: ClusterSpec, *, node_name: str, api_server: str, token: str, ca_hash: str) -> str:
    """`kubeadm join --config` for a worker; holds the token, so it is written
    with mode 0600 and removed once the node joined."""
    join = {
        "apiVersion": KUBEADM_API,
        "kind": "JoinConfiguration",
        "discovery": {
            "bootstrapToken": {"apiServerEndpoint": api_server, "token": token, "caCertHashes": [ca_hash]},
        },
        "nodeRegistration": _registration(spec, node_name),
    }
    return yaml.safe_dump(join, sort_keys=False)


def ca_hash_from_kubeconfig(text: str) -> str:
    """The CA pin a joining node checks, from the admin kubeconfig's CA."""
    config = yaml.safe_load(text) or {}
    data = config["clusters"][0]["cluster"]["certificate-authority-data"]
    certificate = x509.load_pem_x509_certificate(base64.b64decode(data))
    spki = certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return ca_cert_hash(spki)


def bootstrap_token_secret(token: str, *, expires: datetime) -> dict:
    """The Secret that makes `token` a kubeadm join token (what `kubeadm
    token create` writes): for adding nodes after the init's token expired."""
    token_id, token_secret = token.split(".")
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": f"bootstrap-token-{token_id}", "namespace": "kube-system"},
        "type": "bootstrap.kubernetes.io/token",
        "stringData": {
            "token-id": token_id,
            "token-secret": token_secret,
            "expiration": expires.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "usage-bootstrap-authentication": "true",
            "usage-bootstrap-signing": "true",
            "auth-extra-groups": "system:bootstrappers:kubeadm:default-node-token",
            "description": "Made by the portal to join nodes.",
        },
    }
