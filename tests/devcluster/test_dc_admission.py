"""The real admission plugins: ResourceQuota and LimitRanger."""

import json

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from tests.support import live
from tests.support.wait import wait_for

pytestmark = pytest.mark.devcluster


def test_it_tracks_quota_usage_and_refuses_a_pod_beyond_it(core, namespace):
    core.create_namespaced_resource_quota(
        namespace,
        client.V1ResourceQuota(
            metadata=client.V1ObjectMeta(name="small"), spec=client.V1ResourceQuotaSpec(hard={"pods": "2"})
        ),
    )
    # Until the quota controller computed status.used, admission refuses pods.
    wait_for(
        lambda: (core.read_namespaced_resource_quota("small", namespace).status.used or {}).get("pods") == "0",
        30,
        what="quota status",
    )

    core.create_namespaced_pod(namespace, live.pod("one"))
    core.create_namespaced_pod(namespace, live.pod("two"))
    wait_for(
        lambda: core.read_namespaced_resource_quota("small", namespace).status.used["pods"] == "2",
        30,
        what="used pods = 2",
    )

    with pytest.raises(ApiException) as refused:
        core.create_namespaced_pod(namespace, live.pod("three"))

    assert refused.value.status == 403
    assert "exceeded quota" in json.loads(refused.value.body)["message"]
    assert [p.metadata.name for p in core.list_namespaced_pod(namespace).items] == ["one", "two"]


def test_it_applies_limitrange_defaults_to_a_pod_without_resources(core, namespace):
    core.create_namespaced_limit_range(
        namespace,
        client.V1LimitRange(
            metadata=client.V1ObjectMeta(name="defaults"),
            spec=client.V1LimitRangeSpec(
                limits=[
                    client.V1LimitRangeItem(
                        type="Container",
                        default={"cpu": "500m", "memory": "256Mi"},
                        default_request={"cpu": "100m", "memory": "64Mi"},
                    )
                ]
            ),
        ),
    )

    pod = core.create_namespaced_pod(namespace, live.pod("plain"))

    resources = pod.spec.containers[0].resources
    assert resources.limits == {"cpu": "500m", "memory": "256Mi"}
    assert resources.requests == {"cpu": "100m", "memory": "64Mi"}
    assert "LimitRanger plugin set" in pod.metadata.annotations["kubernetes.io/limit-ranger"]
