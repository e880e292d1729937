"""A cluster's decrypted client key is never written to a file, and the TLS
built in memory behaves as the client's own did."""

import base64
import os
import stat
import tempfile

import pytest
import yaml

from clusters import kube
from clusters.apps import _remove_old_key_files
from portal.env import VAR_DIR
from tests.support.live import closed_port

SELF_REVIEW = ("/apis/authentication.k8s.io/v1/selfsubjectreviews", {"kind": "SelfSubjectReview"})
NOT_A_CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n").decode()


def _files_holding(needles: list[bytes]) -> list[str]:
    """Regular files under VAR_DIR and the temp directory that contain any needle."""
    hits = []
    for root in {str(VAR_DIR), tempfile.gettempdir()}:
        for folder, _dirs, names in os.walk(root):
            for name in names:
                path = os.path.join(folder, name)
                try:
                    info = os.lstat(path)
                    if not stat.S_ISREG(info.st_mode) or info.st_size > 8 * 1024 * 1024:
                        continue
                    with open(path, "rb") as handle:
                        data = handle.read()
                except OSError:
                    continue
                if any(needle in data for needle in needles):
                    hits.append(path)
    return hits


@pytest.mark.devcluster
def test_a_client_key_is_never_on_disk_during_or_after_use(devcluster):
    config = devcluster.kubeconfig_dict("disk-probe")  # a fresh key, held only in memory
    user = config["users"][0]["user"]
    key_lines = base64.b64decode(user["client-key-data"]).splitlines()
    # A line from the middle of the PEM body, and the kubeconfig's base64 of it.
    needles = [key_lines[len(key_lines) // 2], user["client-key-data"][40:120].encode()]
    assert _files_holding(needles) == []

    with kube.client_from_kubeconfig(yaml.safe_dump(config)) as client:
        review = client.post_object(SELF_REVIEW[0], {"apiVersion": "authentication.k8s.io/v1", **SELF_REVIEW[1]})
        # The API server saw the client certificate: the key was loaded and used.
        assert review["status"]["userInfo"]["username"] == "disk-probe"
        assert _files_holding(needles) == []
    assert _files_holding(needles) == []


@pytest.mark.devcluster
def test_it_skips_verification_only_when_told_to(devcluster):
    config = devcluster.admin_kubeconfig_dict()
    cluster = config["clusters"][0]["cluster"]
    cluster.pop("certificate-authority-data")
    with pytest.raises(kube.ClusterTLSError), kube.client_from_kubeconfig(yaml.safe_dump(config)) as client:
        client.version()  # the machine's CAs do not know the cluster's
    cluster["insecure-skip-tls-verify"] = True
    with kube.client_from_kubeconfig(yaml.safe_dump(config)) as client:
        assert client.version()["git_version"].startswith("v1.")


@pytest.mark.devcluster
def test_a_broken_ca_reads_as_unreachable_or_tls_failure_like_before(devcluster):
    config = devcluster.admin_kubeconfig_dict()
    config["clusters"][0]["cluster"]["certificate-authority-data"] = NOT_A_CA
    with pytest.raises(kube.ClusterTLSError), kube.client_from_kubeconfig(yaml.safe_dump(config)) as client:
        client.version()
    config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{closed_port()}"
    with pytest.raises(kube.ClusterUnreachable), kube.client_from_kubeconfig(yaml.safe_dump(config)) as client:
        client.version()


def test_key_files_left_by_earlier_versions_are_removed_at_start():
    old = VAR_DIR / "kube-tmp"
    old.mkdir(parents=True, exist_ok=True)
    (old / "tmpkey").write_text("-----BEGIN PRIVATE KEY-----\n")
    _remove_old_key_files()  # what every process runs when Django starts
    assert not old.exists()
