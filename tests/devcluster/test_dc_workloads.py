"""Controllers, scheduler and kwok together: workloads behave as on a real cluster."""

import ipaddress

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from tests.support import live
from tests.support.wait import wait_for

pytestmark = pytest.mark.devcluster

POD_CIDR = ipaddress.ip_network("10.244.0.0/16")


def _owned_replicasets(apps, namespace, name):
    return [
        rs
        for rs in apps.list_namespaced_replica_set(namespace).items
        if any(ref.name == name for ref in rs.metadata.owner_references or [])
    ]


def test_it_rolls_out_20_replicas_and_rolls_over_to_a_new_replicaset_on_image_change(apps, core, namespace):
    apps.create_namespaced_deployment(namespace, live.deployment("web", 20, image="registry.example/web:1"))

    wait_for(
        lambda: (apps.read_namespaced_deployment("web", namespace).status.ready_replicas or 0) == 20,
        90,
        what="20 ready replicas",
    )
    pods = core.list_namespaced_pod(namespace, label_selector="app=web").items
    assert len(pods) == 20
    assert all(pod.status.phase == "Running" for pod in pods)
    assert all(ipaddress.ip_address(pod.status.pod_ip) in POD_CIDR for pod in pods)
    assert len({pod.status.pod_ip for pod in pods}) == 20
    # The control-plane node is tainted NoSchedule: only workers get pods.
    assert {pod.spec.node_name for pod in pods} <= {"devcluster-worker-1", "devcluster-worker-2"}
    [first] = _owned_replicasets(apps, namespace, "web")

    apps.patch_namespaced_deployment(
        "web",
        namespace,
        {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "registry.example/web:2"}]}}}},
    )

    def rolled_over():
        deployment = apps.read_namespaced_deployment("web", namespace)
        status = deployment.status
        return (
            status.observed_generation == deployment.metadata.generation
            and status.updated_replicas == 20
            and status.ready_replicas == 20
            and status.replicas == 20
        )

    wait_for(rolled_over, 120, what="rollover to image web:2")
    replicasets = {rs.metadata.name: rs for rs in _owned_replicasets(apps, namespace, "web")}
    assert len(replicasets) == 2
    new = next(rs for rs in replicasets.values() if rs.metadata.name != first.metadata.name)
    assert new.spec.template.spec.containers[0].image == "registry.example/web:2"
    assert new.status.ready_replicas == 20
    assert replicasets[first.metadata.name].spec.replicas == 0
    wait_for(
        lambda: all(
            p.spec.containers[0].image == "registry.example/web:2"
            for p in core.list_namespaced_pod(namespace, label_selector="app=web").items
        ),
        60,
        what="old pods gone",
    )


def test_it_runs_a_job_to_completion(batch, core, namespace):
    job = client.V1Job(
        metadata=client.V1ObjectMeta(name="once"),
        spec=client.V1JobSpec(
            completions=2,
            parallelism=2,
            backoff_limit=0,
            template=client.V1PodTemplateSpec(
                spec=client.V1PodSpec(
                    restart_policy="Never",
                    containers=[client.V1Container(name="task", image="registry.example/task:1")],
                )
            ),
        ),
    )
    batch.create_namespaced_job(namespace, job)

    done = wait_for(
        lambda: (j := batch.read_namespaced_job("once", namespace)).status.succeeded == 2 and j,
        60,
        what="job succeeded",
    )

    assert any(c.type == "Complete" and c.status == "True" for c in done.status.conditions)
    pods = core.list_namespaced_pod(namespace, label_selector="job-name=once").items
    assert [p.status.phase for p in pods] == ["Succeeded", "Succeeded"]


@pytest.mark.slow
def test_it_creates_a_job_from_an_every_minute_cronjob(batch, namespace):
    cronjob = client.V1CronJob(
        metadata=client.V1ObjectMeta(name="tick"),
        spec=client.V1CronJobSpec(
            schedule="* * * * *",
            job_template=client.V1JobTemplateSpec(
                spec=client.V1JobSpec(
                    template=client.V1PodTemplateSpec(
                        spec=client.V1PodSpec(
                            restart_policy="Never",
                            containers=[client.V1Container(name="tick", image="registry.example/tick:1")],
                        )
                    )
                )
            ),
        ),
    )
    batch.create_namespaced_cron_job(namespace, cronjob)

    jobs = wait_for(
        lambda: [
            j
            for j in batch.list_namespaced_job(namespace).items
            if any(ref.kind == "CronJob" and ref.name == "tick" for ref in j.metadata.owner_references or [])
        ],
        90,  # fires on the next minute boundary, then the controller acts
        1,
        what="a Job created by the CronJob",
    )

    assert jobs[0].metadata.name.startswith("tick-")
    wait_for(
        lambda: batch.read_namespaced_cron_job("tick", namespace).status.last_schedule_time, 10, what="lastScheduleTime"
    )


def test_it_removes_a_deleted_pod(core, namespace):
    core.create_namespaced_pod(namespace, live.pod("solo"))
    wait_for(lambda: core.read_namespaced_pod("solo", namespace).status.phase == "Running", 30, what="pod Running")

    core.delete_namespaced_pod("solo", namespace)

    def gone():
        try:
            core.read_namespaced_pod("solo", namespace)
        except ApiException as error:
            return error.status == 404
        return False

    wait_for(gone, 30, what="pod removed")
