"""The cluster grants' part of a reconcile (rbac/reconcile.py converges their
bindings with its own steps, from the managed objects it listed once): which
portal grant bindings no grant declares any more, and what a grant records
after a run (its phase and message; a binding changed by hand was repaired)."""

from django.utils import timezone

from portal import stored_text
from portal.audit import audit_record
from portal.models import AuditChannel, AuditResult
from rbac import provisioning as p
from rbac.conditions import GRANT_APPLIED, GRANT_REPAIRED
from rbac.grants import ClusterGrant, GrantPhase


def orphans(actual: dict, desired_keys: set[str]) -> list[str]:
    """Keys of the portal's grant bindings that no grant declares any more."""
    return [
        key
        for key, obj in actual.items()
        if key.startswith("ClusterRoleBinding/")
        and p.GRANT_LABEL in ((obj.get("metadata") or {}).get("labels") or {})
        and key not in desired_keys
    ]


def record(grant: ClusterGrant, key: str, *, drifted: bool, failure, actor) -> None:
    """`failure`: the API server's words (or a Message); the portal's own
    messages are stored as their English msgid and translated when shown."""
    was = grant.phase
    failure = stored_text.english(failure)
    if failure:
        grant.phase, grant.message = GrantPhase.FAILED, failure
    elif drifted and was != GrantPhase.PENDING:
        grant.phase = GrantPhase.READY
        grant.message = GRANT_REPAIRED
    elif drifted:
        grant.phase, grant.message = GrantPhase.READY, GRANT_APPLIED
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
