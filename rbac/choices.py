from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiTokenAccess(models.TextChoices):
    # GET, HEAD and OPTIONS only: every other method is refused (403).
    READ = "read", _("Read only")
    # Whatever the token's owner may do (within the token's teams).
    WRITE = "write", _("Read and write")


class NamespacePhase(models.TextChoices):
    # Requested, waiting for a platform admin's approval.
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    # Approved; the reconciler has not converged it yet.
    PROVISIONING = "provisioning", _("Provisioning")
    # The cluster matches the spec.
    READY = "ready", _("Ready")
    # The last reconcile failed; see conditions.
    FAILED = "failed", _("Failed")
    # Deletion requested; waiting for the namespace to finalize.
    TERMINATING = "terminating", _("Terminating")
    # Gone from the cluster.
    DELETED = "deleted", _("Deleted")
    # A platform admin refused the request.
    REJECTED = "rejected", _("Rejected")


# Records of namespaces no cluster holds: deleted, or rejected before they existed.
GONE_PHASES = (NamespacePhase.DELETED, NamespacePhase.REJECTED)

# Team namespaces the reconciler converges: a change to them reaches the cluster at once.
RECONCILED_PHASES = (NamespacePhase.PROVISIONING, NamespacePhase.READY, NamespacePhase.FAILED)
