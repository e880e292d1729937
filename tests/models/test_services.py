"""Services: the writes behind the API and the UI, and their rules."""

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.utils import timezone

from clusters.services import clusters as cluster_services
from hosts import services as host_services
from hosts.models import Host
from portal.errors import ConflictError, PortalError
from portal.roles import TeamRole
from portal.teams import Membership
from rbac import services
from rbac.choices import NamespacePhase
from rbac.models import ApiToken, TeamNamespace
from tests.support import credentials


def test_a_kubeconfig_is_reduced_to_the_chosen_context(db):
    doc = credentials.kubeconfig_doc(extra_contexts=["staging"])
    doc["users"].append({"name": "other", "user": {"token": "other-users-token"}})
    doc["clusters"].append({"name": "elsewhere", "cluster": {"server": "https://elsewhere"}})
    doc["contexts"].append({"name": "other", "context": {"cluster": "elsewhere", "user": "other"}})
    cluster = cluster_services.cluster_create(name="P", slug="p", kubeconfig=yaml.safe_dump(doc), context="staging")
    stored = yaml.safe_load(cluster.kubeconfig.reveal())
    assert [c["name"] for c in stored["contexts"]] == ["staging"]
    assert "other-users-token" not in cluster.kubeconfig.reveal()
    assert (cluster.kubeconfig_context, cluster.credential_kind, cluster.api_server_url) == (
        "staging",
        "token",
        "https://10.0.0.1:6443",
    )
    assert cluster.credentials_rotated is not None


def test_a_new_kubeconfig_replaces_the_credentials(db):
    cluster = cluster_services.cluster_create(name="P", slug="p", kubeconfig=credentials.kubeconfig())
    first = cluster.credentials_rotated
    user, _ = credentials.client_cert_user()
    cluster_services.cluster_update(cluster=cluster, kubeconfig=credentials.kubeconfig(user=user))
    cluster.refresh_from_db()
    assert cluster.credential_kind == "client-certificate" and cluster.credentials_rotated > first
    # An update without a kubeconfig keeps the credentials.
    cluster_services.cluster_update(cluster=cluster, description="x")
    cluster.refresh_from_db()
    assert cluster.credential_kind == "client-certificate"


def test_a_private_key_credential_gets_its_fingerprint_and_keeps_secrets_left_blank(db):
    key = credentials.ssh_private_key("pass-phrase")
    cred = host_services.ssh_credential_create(name="k", kind="private_key", private_key=key, passphrase="pass-phrase")
    assert cred.public_key_fingerprint.startswith("SHA256:")
    host_services.ssh_credential_update(credential=cred, name="renamed", private_key="", passphrase="")
    cred.refresh_from_db()
    assert cred.private_key.reveal() == key and cred.passphrase.reveal() == "pass-phrase"


def test_switching_a_credential_to_a_password_forgets_the_key(db):
    cred = host_services.ssh_credential_create(name="k", kind="private_key", private_key=credentials.ssh_private_key())
    host_services.ssh_credential_update(credential=cred, kind="password", password="pw-1234")
    cred.refresh_from_db()
    assert cred.private_key == "" and cred.public_key_fingerprint == "" and cred.password.reveal() == "pw-1234"


def test_moving_a_host_forgets_its_pinned_key(db):
    cred = host_services.ssh_credential_create(name="c", kind="password", password="pw")
    host = host_services.host_create(name="h", address="10.0.0.1", credential=cred)
    Host.objects.filter(pk=host.pk).update(host_key="ssh-ed25519 AAAA", host_key_fingerprint="SHA256:x")
    host.refresh_from_db()
    host_services.host_update(host=host, username="ubuntu")
    host.refresh_from_db()
    assert host.host_key_fingerprint == "SHA256:x"
    host_services.host_update(host=host, port=2222)
    host.refresh_from_db()
    assert host.host_key == "" and host.host_key_fingerprint == ""


def test_the_last_owner_stays(world):
    owner = Membership.objects.get(team=world.team_a, user=world.owner)
    with pytest.raises(ConflictError):
        services.membership_update(membership=owner, role=TeamRole.VIEWER)
    with pytest.raises(ConflictError):
        services.membership_delete(membership=owner)
    services.membership_update(
        membership=Membership.objects.get(team=world.team_a, user=world.maintainer), role=TeamRole.OWNER
    )
    services.membership_delete(membership=owner)


def test_a_namespace_request_respects_the_teams_policy(world):
    other = cluster_services.cluster_create(name="Other", slug="other")
    world.team_a.allowed_clusters.add(world.cluster)
    with pytest.raises(PortalError) as refused:
        services.team_namespace_request(team=world.team_a, cluster=other, name="x", plan=world.plan)
    assert "cluster" in refused.value.field_errors
    world.team_a.max_namespaces = 1
    world.team_a.save()
    with pytest.raises(PortalError) as full:
        services.team_namespace_request(team=world.team_a, cluster=world.cluster, name="y", plan=world.plan)
    assert "name" in full.value.field_errors
    # Deleted and rejected namespaces do not count.
    TeamNamespace.objects.filter(pk=world.ns_a.pk).update(phase=NamespacePhase.DELETED)
    ns = services.team_namespace_request(team=world.team_a, cluster=world.cluster, name="y", plan=world.plan)
    assert ns.phase == NamespacePhase.PENDING_APPROVAL


def test_auto_approved_teams_skip_the_approval(world):
    world.team_a.auto_approve_namespaces = True
    world.team_a.save()
    ns = services.team_namespace_request(team=world.team_a, cluster=world.cluster, name="fast", plan=world.plan)
    assert ns.phase == NamespacePhase.PROVISIONING


def test_a_namespace_name_must_be_a_dns_label(world):
    with pytest.raises(ValidationError):
        services.team_namespace_request(team=world.team_a, cluster=world.cluster, name="Bad_Name", plan=world.plan)


@pytest.mark.parametrize(
    ("labels", "may_set_reserved", "ok"),
    [
        ({"env": "dev", "example.com/x": "", "app.kubernetes.io/name": "web"}, False, True),
        ({"pod-security.kubernetes.io/enforce": "privileged"}, False, False),
        ({"pod-security.kubernetes.io/enforce": "restricted"}, True, True),
        ({"portal.kube/team": "team-b"}, True, False),
        ({"app.kubernetes.io/managed-by": "me"}, True, False),
        ({"Bad Key": "v"}, True, False),
        ({"UPPER.example.com/x": "v"}, True, False),
        ({"k": "-starts-with-dash"}, True, False),
        ({"k": 5}, True, False),
    ],
)
def test_namespace_labels_are_checked(labels, may_set_reserved, ok):
    if ok:
        assert services.namespace_labels_check(labels, may_set_reserved=may_set_reserved) == labels
    else:
        with pytest.raises(PortalError) as refused:
            services.namespace_labels_check(labels, may_set_reserved=may_set_reserved)
        assert refused.value.field_errors["labels"]


def test_a_team_with_live_namespaces_cannot_be_deleted(world):
    with pytest.raises(ConflictError):
        services.team_delete(team=world.team_a)
    TeamNamespace.objects.filter(team=world.team_a).update(phase=NamespacePhase.DELETED)
    services.team_delete(team=world.team_a)


def test_a_used_plan_cannot_be_deleted(world):
    with pytest.raises(ConflictError):
        services.quota_plan_delete(plan=world.plan)


def test_a_token_is_created_hashed_and_revoked(world):
    token, key = services.api_token_create(user=world.owner, name="t", expires_in_days=None)
    assert token.expires_at is None and token.is_active
    assert ApiToken.objects.get(key_hash=ApiToken.hash_key(key)) == token
    services.api_token_revoke(token=token)
    revoked_at = token.revoked_at
    services.api_token_revoke(token=token)  # idempotent: the first time stays
    assert token.revoked_at == revoked_at and not token.is_active
    assert not ApiToken.objects.usable().filter(pk=token.pk).exists()
    token.expires_at = timezone.now()
    assert not token.is_active


def _pkcs8(passphrase=None, kind="rsa"):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    key = {
        "rsa": lambda: rsa.generate_private_key(65537, 2048),
        "ec": lambda: ec.generate_private_key(ec.SECP256R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate,
    }[kind]()
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode()) if passphrase else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption).decode()


@pytest.mark.parametrize("kind", ["rsa", "ec", "ed25519"])
def test_pkcs8_keys_are_accepted(db, kind):
    cred = host_services.ssh_credential_create(name="k", kind="private_key", private_key=_pkcs8(kind=kind))
    assert cred.public_key_fingerprint.startswith("SHA256:")


def test_encrypted_pkcs8_keys_need_the_right_passphrase(db):
    key = _pkcs8("pkcs8-phrase")
    for passphrase, field in (("", "passphrase"), ("wrong", "passphrase")):
        with pytest.raises(PortalError) as refused:
            host_services.ssh_credential_create(name="k", kind="private_key", private_key=key, passphrase=passphrase)
        assert field in refused.value.field_errors
    cred = host_services.ssh_credential_create(name="k", kind="private_key", private_key=key, passphrase="pkcs8-phrase")
    assert cred.public_key_fingerprint.startswith("SHA256:")
    # The stored secret is what the admin gave, not the converted form.
    assert cred.private_key.reveal() == key


def test_the_same_key_has_the_same_fingerprint_in_any_format(db):
    from cryptography.hazmat.primitives import serialization

    from hosts import ssh

    pkcs8 = _pkcs8(kind="ed25519")
    key = serialization.load_pem_private_key(pkcs8.encode(), None)
    openssh = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()
    assert ssh.private_key_fingerprint(pkcs8) == ssh.private_key_fingerprint(openssh)
