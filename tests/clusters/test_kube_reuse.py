"""What clusters/kube.py reuses between calls and how it reads answers: one SSL
context per credential (a rotated credential or another CA gets a new one),
JSON answers decoded by orjson with the same errors as before, plain-text
answers (a pod's log) read with the Accept header the API server takes, and
a streamed GET."""

import gc
import weakref

import pytest
import yaml

from clusters import kube, kube_tls
from tests.support import credentials, live
from tests.support.wait import wait_for

SELF_REVIEW = "/apis/authentication.k8s.io/v1/selfsubjectreviews"


def _who(client) -> str:
    review = client.post_object(SELF_REVIEW, {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    return review["status"]["userInfo"]["username"]


# --- SSL contexts ------------------------------------------------------------------


def test_contexts_are_kept_by_fingerprint_within_a_bound(monkeypatch):
    monkeypatch.setattr(kube_tls, "CONTEXTS_KEPT", 2)
    tls = [kube_tls.TLSData(ca=b"ca", cert=b"cert", key=f"key {n}".encode()) for n in range(3)]
    first = kube_tls.context_for(tls[0], verify=True, server="https://a:6443")
    assert kube_tls.context_for(tls[0], verify=True, server="https://a:6443") is first
    # Anything it was built from differs: another context.
    for other in (
        {"server": "https://b:6443"},
        {"verify": False},
        {"server_name": "api.example"},
    ):
        assert kube_tls.context_for(tls[0], **{"verify": True, "server": "https://a:6443", **other}) is not first
    assert kube_tls.context_for(tls[1], verify=True, server="https://a:6443") is not first
    # Two newer ones since: the first was dropped (least recently used first).
    kube_tls.context_for(tls[2], verify=True, server="https://a:6443")
    assert kube_tls.context_for(tls[0], verify=True, server="https://a:6443") is not first


def test_an_owners_new_credential_drops_its_old_context():
    old = kube_tls.TLSData(ca=b"ca", cert=b"cert", key=b"old key")
    new = kube_tls.TLSData(ca=b"ca", cert=b"cert", key=b"new key")
    before = kube_tls.context_for(old, verify=True, server="https://a:6443", owner="cluster-owner-test")
    dropped = weakref.ref(before)
    del before
    kube_tls.context_for(new, verify=True, server="https://a:6443", owner="cluster-owner-test")
    gc.collect()
    assert dropped() is None  # nothing keeps the replaced key's context


def test_the_fingerprint_is_not_the_material():
    tls = kube_tls.TLSData(ca=b"ca", cert=b"cert", key=b"-----BEGIN PRIVATE KEY-----secret")
    print_ = kube_tls.fingerprint(tls, verify=True, server="https://a:6443")
    assert "secret" not in print_ and len(print_) == 64


@pytest.mark.devcluster
def test_clients_of_one_credential_share_one_context(devcluster):
    text = live.cert_kubeconfig(devcluster, user="reuse-probe")
    with kube.client_from_kubeconfig(text) as first:
        assert _who(first) == "reuse-probe"
        context = first.tls_context
    with kube.client_from_kubeconfig(text, identity=kube.Identity.for_username("someone")) as second:
        assert second.tls_context is context
        assert second.version()["git_version"].startswith("v1.")


@pytest.mark.devcluster
@pytest.mark.django_db
def test_a_rotated_credential_gets_a_fresh_context(devcluster):
    from clusters.services.clusters import cluster_create, cluster_credentials_replace

    cluster = cluster_create(
        name="Reuse", slug="reuse", kubeconfig=live.cert_kubeconfig(devcluster, user="before-rotation")
    )
    with kube.client_for(cluster) as client:
        assert _who(client) == "before-rotation"
        old = client.tls_context
    with kube.client_for(cluster) as client:
        assert client.tls_context is old

    cluster, _found = cluster_credentials_replace(
        cluster=cluster, kubeconfig=live.cert_kubeconfig(devcluster, user="after-rotation")
    )
    with kube.client_for(cluster) as client:
        assert client.tls_context is not old
        assert _who(client) == "after-rotation"  # the new key, not a cached old one
        new = client.tls_context
    with kube.client_for(cluster) as client:
        assert client.tls_context is new


@pytest.mark.devcluster
def test_another_ca_gets_its_own_context_and_the_old_one_still_works(devcluster):
    config = devcluster.admin_kubeconfig_dict()
    with kube.client_from_kubeconfig(yaml.safe_dump(config)) as client:
        client.version()
        good = client.tls_context
    config["clusters"][0]["cluster"]["certificate-authority-data"] = credentials.other_ca()
    with pytest.raises(kube.ClusterTLSError), kube.client_from_kubeconfig(yaml.safe_dump(config)) as client:
        assert client.tls_context is not good
        client.version()
    with kube.client_from_kubeconfig(live.admin_kubeconfig(devcluster)) as client:
        assert client.tls_context is good
        client.version()


@pytest.mark.devcluster
def test_a_context_that_cannot_load_its_key_fails_alike_for_every_client(devcluster):
    """A key that is not the certificate's is a TLS failure (OpenSSL's refusal
    reads as the pipe's errno, once reported as an unreachable server), and
    the shared context refuses each client alike, never connecting without the key."""
    config = devcluster.kubeconfig_dict("mismatched")
    other = devcluster.kubeconfig_dict("someone-else")
    config["users"][0]["user"]["client-key-data"] = other["users"][0]["user"]["client-key-data"]
    for _attempt in range(2):
        with pytest.raises(kube.ClusterTLSError), kube.client_from_kubeconfig(yaml.safe_dump(config)) as client:
            client.version()


# --- answers -----------------------------------------------------------------------


@pytest.mark.devcluster
def test_json_answers_and_refusals_read_as_before(admin):
    status, answer = admin.request_json("GET", "/api/v1/namespaces", query=[("limit", "1")])
    assert status == 200 and answer["kind"] == "NamespaceList" and len(answer["items"]) == 1
    # A refusal's Status body gives the message; a plain-text refusal its reason.
    with pytest.raises(kube.KubeNotFound) as refused:
        admin.request_json("GET", "/api/v1/namespaces/no-such-namespace-here")
    assert 'namespaces "no-such-namespace-here" not found' in refused.value.message
    with pytest.raises(kube.KubeNotFound):
        admin.request_json("GET", "/no-such-path-at-all")
    # A success that is not JSON is the cluster's error, not a crash.
    with pytest.raises(kube.KubeError) as not_json:
        admin.request_json("GET", "/readyz")
    assert "not JSON" in not_json.value.message and not_json.value.status_code == 502


@pytest.fixture
def running_pod(admin, devcluster):
    namespace = live.create_namespace(admin.core, "reuse")
    name = live.unique("reuse")
    admin.core.create_namespaced_pod(namespace, live.pod(name))

    def running():
        return admin.core.read_namespaced_pod(name, namespace).status.phase == "Running"

    wait_for(running, 60, what=f"pod {name} running")
    yield namespace, name
    live.delete_namespace(admin.core, namespace)


@pytest.mark.devcluster
def test_a_pods_log_is_read_as_text_and_as_a_stream(admin, running_pod):
    """The API server answers 406 to Accept text/plain on a log: get_text and
    open_stream ask for any type, and both read the stand-in's lines."""
    namespace, name = running_pod
    path = f"/api/v1/namespaces/{namespace}/pods/{name}/log"
    status, text = admin.get_text(path, [("tailLines", "1")])
    assert status == 200 and text == "line 5 of 5 (app)\n"

    with admin.open_stream(path, [("container", "app")]) as stream:
        assert stream.text().startswith(f"devcluster stand-in log of container app in pod {namespace}/{name}")
    with admin.open_stream(path, [("follow", "true"), ("tailLines", "2")], read_timeout=30) as stream:
        chunks = stream.chunks()
        got = b""
        while b"line 5 of 5" not in got:
            got += next(chunks)
        stream.cut()  # a follow never ends on its own here: cut it as the deadline does
        with pytest.raises(kube.KubeError):
            for _chunk in chunks:
                pass
    assert got.decode().splitlines()[-1] == "line 5 of 5 (app)"

    with pytest.raises(kube.KubeInvalid), admin.open_stream(path, [("container", "nope")]):
        pass
