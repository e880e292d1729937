"""The cluster grants' part of a reconcile (rbac/reconcile.py calls it with
the cluster's managed objects, listed once): apply each grant's
ClusterRoleBinding where the cluster's differs (someone edited it by hand:
repaired, and said so on the grant), delete portal grant bindings no grant
declares any more, and record each grant's phase and message."""

from django.utils import timezone
from django.utils.translation import gettext as _

from clusters import kube
from portal.audit import audit_record
from portal.models import AuditChannel, AuditResult
from rbac import provisioning as p
from rbac.grants import ClusterGrant, GrantPhase


def converge(client: kube.KubeClient, grants: list[ClusterGrant], actual: dict, *, actor=None) -> dict:
    from rbac.reconcile import _converge_object, _delete_undesired, _object_key  # the reconciler's own steps

    report = {"applied": [], "deleted": [], "failed": {}}
    desired_keys = set()
    for grant in grants:
        obj = p.grant_object(grant, [team.slug for team in grant.teams.all()])
        key = _object_key(obj)
        desired_keys.add(key)
        repaired, failures = {"applied": [], "deleted": []}, {}
        _converge_object(client, obj, actual, repaired, failures)
        report["applied"] += repaired["applied"]
        report["failed"].update(failures)
        _record(grant, key, drifted=key in repaired["applied"], failure=failures.get(key, ""), actor=actor)
    undesired = [
        key
        for key, obj in actual.items()
        if key.startswith("ClusterRoleBinding/")
        and p.GRANT_LABEL in ((obj.get("metadata") or {}).get("labels") or {})
        and key not in desired_keys
    ]
    repaired = {"applied": [], "deleted": []}
    _delete_undesired(client, undesired, repaired, report["failed"])
    report["deleted"] += repaired["deleted"]
    return report


def _record(grant: ClusterGrant, key: str, *, drifted: bool, failure: str, actor) -> None:
    was = grant.phase
    if failure:
        grant.phase, grant.message = GrantPhase.FAILED, failure
    elif drifted and was != GrantPhase.PENDING:
        grant.phase = GrantPhase.READY
        grant.message = _("The binding differed from the grant (changed by hand?) and was repaired.")
    elif drifted:
        grant.phase, grant.message = GrantPhase.READY, _("Applied.")
    else:
        grant.phase = GrantPhase.READY
        grant.message = grant.message if was == GrantPhase.READY else ""
    grant.observed = timezone.now()
    grant.save(update_fields=["phase", "message", "observed"])
    if drifted or failure:
        audit_record(
            actor=actor,
            channel=AuditChannel.SYSTEM,
            action="clustergrant.drift_repaired" if drifted and was != GrantPhase.PENDING else "clustergrant.reconcile",
            result=AuditResult.FAILED if failure else AuditResult.SUCCESS,
            cluster=grant.cluster.slug,
            kind="ClusterRoleBinding",
            name=grant.binding_name,
            summary={"applied": [key] if drifted else [], "failed": failure},
        )
