"""Namespace deletion is finalized by the namespace controller."""

import pytest
from kubernetes.client.rest import ApiException

from tests.support import live
from tests.support.wait import wait_for

pytestmark = pytest.mark.devcluster


def test_it_finalizes_a_deleted_namespace_with_its_pods(core, apps, make_namespace):
    namespace = make_namespace("doomed")
    apps.create_namespaced_deployment(namespace, live.deployment("web", 3))
    wait_for(
        lambda: len([p for p in core.list_namespaced_pod(namespace).items if p.status.phase == "Running"]) == 3,
        60,
        what="3 pods Running",
    )

    core.delete_namespace(namespace)

    def gone():
        try:
            core.read_namespace(namespace)
        except ApiException as error:
            return error.status == 404
        return False

    wait_for(gone, 90, what=f"namespace {namespace} finalized")
    assert core.list_namespaced_pod(namespace).items == []
    assert all(p.metadata.namespace != namespace for p in core.list_pod_for_all_namespaces().items)
