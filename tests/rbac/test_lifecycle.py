"""Approval, quota changes and deletion of team namespaces."""

import pytest

from jobs.choices import JobStatus
from jobs.runner import job_run
from portal.errors import ConflictError, PortalError
from rbac import tenancy as services
from rbac.choices import NamespacePhase
from rbac.models import QuotaChangeRequest, QuotaPlan
from rbac.reconcile import reconcile_cluster
from tests.rbac.conftest import make_team_namespace

pytestmark = pytest.mark.devcluster


def test_approval_moves_a_request_to_provisioning_and_reconcile_makes_it_ready(tenancy, unique):
    tn = make_team_namespace(tenancy, tenancy.team_a, unique("a-wait"))
    tn.phase = NamespacePhase.PENDING_APPROVAL
    tn.save()
    assert reconcile_cluster(cluster=tenancy.cluster, only=[tn.pk]).namespaces == 0  # waiting: untouched
    services.team_namespace_approve(namespace=tn, user=tenancy.admin)
    with pytest.raises(ConflictError):
        services.team_namespace_approve(namespace=tn, user=tenancy.admin)
    reconcile_cluster(cluster=tenancy.cluster, only=[tn.pk])
    tn.refresh_from_db()
    assert tn.phase == NamespacePhase.READY


def test_a_rejected_request_never_reaches_the_cluster(tenancy, unique, platform_client):
    from clusters import kube

    tn = make_team_namespace(tenancy, tenancy.team_a, unique("a-no"))
    tn.phase = NamespacePhase.PENDING_APPROVAL
    tn.save()
    services.team_namespace_reject(namespace=tn, user=tenancy.admin, reason="use the shared one")
    reconcile_cluster(cluster=tenancy.cluster)
    tn.refresh_from_db()
    assert tn.phase == NamespacePhase.REJECTED and tn.conditions[0]["message"] == "use the shared one"
    with pytest.raises(kube.KubeNotFound):
        platform_client.core.read_namespace(tn.name)


def test_an_approved_quota_change_reaches_the_cluster(tenancy, unique, platform_client):
    tn = make_team_namespace(tenancy, tenancy.team_a, unique("a-grow"))
    reconcile_cluster(cluster=tenancy.cluster)
    bigger = QuotaPlan.objects.create(name="Big", slug="big", pods=10, requests_cpu="4")
    change = services.quota_change_request(namespace=tn, plan=bigger, user=tenancy.maintainer, reason="launch")
    with pytest.raises(ConflictError):
        services.quota_change_request(namespace=tn, plan=bigger, user=tenancy.maintainer)
    services.quota_change_decide(change=change, user=tenancy.admin, approve=True)
    assert QuotaChangeRequest.objects.get(pk=change.pk).status == QuotaChangeRequest.Status.APPROVED
    reconcile_cluster(cluster=tenancy.cluster)
    hard = platform_client.core.read_namespaced_resource_quota("portal-quota", tn.name).spec.hard
    assert hard == {"pods": "10", "requests.cpu": "4"}
    # The plan sets no container limits any more: the LimitRange is removed.
    assert [lr.metadata.name for lr in platform_client.core.list_namespaced_limit_range(tn.name).items] == []


def test_deleting_asks_for_the_name_and_waits_for_the_namespace_to_finalize(tenancy, unique, platform_client):
    from clusters import kube
    from tests.support.live import pod

    tn = make_team_namespace(tenancy, tenancy.team_a, unique("a-bye"))
    reconcile_cluster(cluster=tenancy.cluster)
    platform_client.core.create_namespaced_pod(tn.name, pod("leftover"))
    with pytest.raises(PortalError) as wrong:
        services.team_namespace_delete_start(namespace=tn, user=tenancy.owner, confirm="a-b")
    assert "confirm" in wrong.value.field_errors

    job = services.team_namespace_delete_start(namespace=tn, user=tenancy.owner, confirm=tn.name)
    tn.refresh_from_db()
    assert tn.phase == NamespacePhase.TERMINATING
    assert job_run(job_id=job.pk) == JobStatus.SUCCEEDED
    tn.refresh_from_db()
    assert tn.phase == NamespacePhase.DELETED
    with pytest.raises(kube.KubeNotFound):
        platform_client.core.read_namespace(tn.name)
    assert "has finalized" in " ".join(job.events.values_list("text", flat=True))
