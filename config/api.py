"""The /api/v1/ router (the audit trail's viewset: portal/api_audit.py)."""

from rest_framework import routers

from clusters.api import views as cluster_views
from hosts.api import views as host_views
from jobs.api import views as job_views
from portal.api_audit import AuditEventViewSet
from portal.api_users import UserViewSet
from rbac.api import views as rbac_views
from rbac.api.access import WhoCanViewSet
from rbac.api.grants import ClusterGrantViewSet
from rbac.api.reconcile import ClusterReconcileViewSet, NamespaceReconcileViewSet
from rbac.api.token_obtain import TokenObtainViewSet
from workloads.api import views as workload_views
from workloads.places import PLACE

router = routers.DefaultRouter()
router.register("clusters", cluster_views.ClusterViewSet, basename="cluster")
router.register("nodes", cluster_views.NodeViewSet, basename="node")
router.register("hosts", host_views.HostViewSet, basename="host")
router.register("ssh-credentials", host_views.SSHCredentialViewSet, basename="sshcredential")
router.register("jobs", job_views.JobViewSet, basename="job")
router.register("teams", rbac_views.TeamViewSet, basename="team")
router.register("memberships", rbac_views.MembershipViewSet, basename="membership")
router.register("quota-plans", rbac_views.QuotaPlanViewSet, basename="quotaplan")
router.register("namespaces", rbac_views.TeamNamespaceViewSet, basename="teamnamespace")
router.register("quota-changes", rbac_views.QuotaChangeViewSet, basename="quotachange")
router.register("who-can", WhoCanViewSet, basename="who-can")
router.register("cluster-grants", ClusterGrantViewSet, basename="clustergrant")
router.register("tokens", rbac_views.ApiTokenViewSet, basename="apitoken")
router.register("auth/token", TokenObtainViewSet, basename="token-obtain")
router.register("users", UserViewSet, basename="user")
# Reconcile now: one cluster's team namespaces, or one namespace.
router.register(r"clusters/(?P<slug>[^/.]+)/reconcile", ClusterReconcileViewSet, basename="cluster-reconcile")
router.register(r"namespaces/(?P<pk>[0-9]+)/reconcile", NamespaceReconcileViewSet, basename="namespace-reconcile")
router.register("audit-events", AuditEventViewSet, basename="auditevent")
# Live objects of every registered kind (workloads/kinds.py) in a team namespace.
router.register(
    rf"namespaces/(?P<namespace_pk>{PLACE})/kinds/(?P<plural>[a-z]+)",
    workload_views.LiveObjectViewSet,
    basename="liveobject",
)
