"""Authentication (client certificates, service-account tokens, CSRs) and RBAC."""

import base64
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from tests.support.wait import wait_for

pytestmark = pytest.mark.devcluster


def _status(call) -> int:
    try:
        call()
    except ApiException as error:
        return error.status
    return 200


def _impersonating(devcluster, user, groups=()):
    api = config.new_client_from_config(config_file=str(devcluster.kubeconfig_path))
    api.set_default_header("Impersonate-User", user)
    for group in groups:  # the client sends one header; tests here need at most one
        api.set_default_header("Impersonate-Group", group)
    return api


def _client_for(kubeconfig_dict):
    return config.new_client_from_config_dict(kubeconfig_dict)


def _bind_edit(rbac, namespace, subject_kind, subject_name):
    rbac.create_namespaced_role_binding(
        namespace,
        client.V1RoleBinding(
            metadata=client.V1ObjectMeta(name=f"edit-{subject_name.replace(':', '-')}"),
            role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="edit"),
            subjects=[
                client.RbacV1Subject(kind=subject_kind, name=subject_name, api_group="rbac.authorization.k8s.io")
            ],
        ),
    )


def test_it_forbids_an_impersonated_user_without_bindings(devcluster, namespace):
    with _impersonating(devcluster, "portal:nobody") as api:
        core = client.CoreV1Api(api)

        assert _status(lambda: core.list_namespaced_pod(namespace)) == 403
        assert _status(lambda: core.list_namespace()) == 403


def test_it_lets_an_edit_binding_work_in_its_namespace_only(devcluster, rbac, namespace, other_namespace):
    _bind_edit(rbac, namespace, "User", "portal:alice")

    with _impersonating(devcluster, "portal:alice") as api:
        core = client.CoreV1Api(api)
        # RBAC reads bindings from an informer: give it a moment.
        wait_for(
            lambda: _status(lambda: core.list_namespaced_pod(namespace)) == 200, 10, 0.2, what="edit binding effective"
        )

        created = core.create_namespaced_config_map(
            namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c"), data={"k": "v"})
        )
        assert created.metadata.namespace == namespace
        assert _status(lambda: core.list_namespaced_pod(other_namespace)) == 403
        assert (
            _status(
                lambda: core.create_namespaced_config_map(
                    other_namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c"))
                )
            )
            == 403
        )
        # `edit` does not include RBAC itself.
        assert _status(lambda: client.RbacAuthorizationV1Api(api).list_namespaced_role_binding(namespace)) == 403


def test_it_authenticates_a_client_certificate_for_any_user_and_group(devcluster, rbac, namespace, other_namespace):
    _bind_edit(rbac, namespace, "Group", "team-b")
    cert_pem, key_pem = devcluster.client_cert("bob", ["team-b"])
    assert (
        x509.load_pem_x509_certificate(cert_pem).issuer
        == x509.load_pem_x509_certificate(devcluster.ca_cert_pem).subject
    )

    with _client_for(devcluster.kubeconfig_dict("bob", ["team-b"])) as api:
        core = client.CoreV1Api(api)
        review = client.AuthenticationV1Api(api).create_self_subject_review(client.V1SelfSubjectReview())

        assert review.status.user_info.username == "bob"
        assert "team-b" in review.status.user_info.groups
        wait_for(
            lambda: _status(lambda: core.list_namespaced_pod(namespace)) == 200, 10, 0.2, what="group binding effective"
        )
        assert _status(lambda: core.list_namespaced_pod(other_namespace)) == 403


def test_it_issues_service_account_tokens_usable_as_bearer_tokens(devcluster, core, namespace):
    core.create_namespaced_service_account(
        namespace, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="robot"))
    )
    token = core.create_namespaced_service_account_token(
        "robot",
        namespace,
        client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=600)),
    ).status.token

    with _client_for(devcluster.kubeconfig_dict("robot", token=token)) as api:
        review = client.AuthenticationV1Api(api).create_self_subject_review(client.V1SelfSubjectReview())

        assert review.status.user_info.username == f"system:serviceaccount:{namespace}:robot"
        assert _status(lambda: client.CoreV1Api(api).list_namespaced_secret(namespace)) == 403


def test_it_signs_an_approved_certificate_signing_request(admin_client):
    certificates = client.CertificatesV1Api(admin_client)
    key = ec.generate_private_key(ec.SECP256R1())
    csr_pem = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "carol"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "team-c"),
                ]
            )
        )
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
    )
    name = f"carol-{datetime.datetime.now().strftime('%H%M%S%f')}"
    certificates.create_certificate_signing_request(
        client.V1CertificateSigningRequest(
            metadata=client.V1ObjectMeta(name=name),
            spec=client.V1CertificateSigningRequestSpec(
                request=base64.b64encode(csr_pem).decode(),
                signer_name="kubernetes.io/kube-apiserver-client",
                usages=["client auth"],
                expiration_seconds=3600,
            ),
        )
    )
    certificates.patch_certificate_signing_request_approval(
        name,
        {
            "status": {
                "conditions": [{"type": "Approved", "status": "True", "reason": "Test", "message": "approved by test"}]
            }
        },
    )

    issued = wait_for(
        lambda: certificates.read_certificate_signing_request(name).status.certificate, 30, what="certificate issued"
    )

    cert = x509.load_pem_x509_certificate(base64.b64decode(issued))
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "carol"
    certificates.delete_certificate_signing_request(name)


def test_it_mints_a_service_account_token_through_the_handle(devcluster, namespace):
    token = devcluster.service_account_token(namespace, "portal", seconds=600)

    with _client_for(devcluster.kubeconfig_dict("portal", token=token)) as api:
        review = client.AuthenticationV1Api(api).create_self_subject_review(client.V1SelfSubjectReview())

    assert review.status.user_info.username == f"system:serviceaccount:{namespace}:portal"
