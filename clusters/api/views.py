from django.db.models import Count
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from clusters import kube
from clusters.api import serializers as s
from clusters.api.bootstrap import BootstrapActions, LifecycleActions
from clusters.models import Cluster, Node
from clusters.selectors import node_pods
from clusters.services import clusters as cluster_services
from clusters.services import health as health_services
from clusters.services import nodes as node_services
from jobs.api.serializers import JobSerializer
from portal.audit import audit_describe
from portal.errors import ConflictError, PortalError
from portal.permissions import IsPlatformAdmin, IsPlatformAdminOrReadOnly
from portal.viewsets import PortalModelViewSet, PortalReadOnlyViewSet

PHASE_HISTORY_LIMIT = 200


class ClusterViewSet(BootstrapActions, LifecycleActions, PortalModelViewSet):
    """Clusters. POST imports one (saved only when it answers with the
    kubeconfig); PUT and PATCH change the record; credentials are replaced
    through `credentials/`. DELETE forgets the record, never the real cluster."""

    model = Cluster
    serializer_class = s.ClusterSerializer
    permission_classes = [IsPlatformAdminOrReadOnly]
    lookup_field = "slug"
    audit_kind = "Cluster"
    filterset_fields = ["phase", "provider", "kubernetes_version"]
    search_fields = ["name", "slug", "description"]
    ordering_fields = ["name", "created", "phase", "last_seen"]

    def get_queryset(self):
        # An aggregate drops Meta.ordering (GROUP BY): order again, or pages overlap.
        return (
            super().get_queryset().annotate(nodes_total=Count("nodes", distinct=True)).order_by(*Cluster._meta.ordering)
        )

    def get_serializer_class(self):
        return s.ClusterImportSerializer if self.action == "create" else s.ClusterSerializer

    def audit_target(self, obj):
        return {"cluster": obj.slug, "name": obj.slug}

    def destroy_object(self, instance):
        cluster_services.cluster_delete(cluster=instance)

    def _connected(self, cluster, found):
        context = {**self.get_serializer_context(), "found": found}
        return s.ClusterConnectedSerializer(cluster, context=context).data

    @extend_schema(
        request=s.ClusterImportSerializer,
        responses={201: s.ClusterConnectedSerializer},
        description="Import an existing cluster. The kubeconfig is reduced to one context and the cluster must "
        "answer with it (version, /readyz, listing nodes) before anything is saved; otherwise 400 on `kubeconfig`.",
    )
    def create(self, request, *args, **kwargs):
        slug = request.data.get("slug") if hasattr(request.data, "get") else None
        if isinstance(slug, str):
            audit_describe(request, name=slug[:100])  # a refused import names what it tried
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return Response(self._connected(serializer.instance, serializer.found), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.ClusterCredentialsSerializer,
        responses=s.ClusterConnectedSerializer,
        description="Replace the credentials; the new kubeconfig must work before it replaces the old one.",
    )
    @action(detail=True, methods=["post"], permission_classes=[IsPlatformAdmin])
    def credentials(self, request, slug=None):
        cluster = self.get_object()
        serializer = s.ClusterCredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cluster, found = cluster_services.cluster_credentials_replace(cluster=cluster, **serializer.validated_data)
        # Checked now, as an import is: the old credentials' verdict must not stand until the sweep.
        cluster = cluster_services.cluster_check_connected(cluster=cluster)
        return Response(self._connected(cluster, found))

    @extend_schema(
        request=None,
        responses=s.ClusterCheckSerializer,
        description="Check the control plane now, then sync the node inventory (when the cluster answered).",
    )
    @action(detail=True, methods=["post"], permission_classes=[IsPlatformAdmin])
    def check(self, request, slug=None):
        cluster = self.get_object()
        if not cluster.kubeconfig:
            raise ConflictError(
                _("Cluster %(cluster)s has no credentials; add them with POST credentials/ first.")
                % {"cluster": cluster.name}
            )
        cluster, counts, sync_error = health_services.cluster_check_now(cluster=cluster)
        context = self.get_serializer_context()
        if counts is not None:
            context["node_counts"] = counts
        else:
            context["node_sync_error"] = sync_error
        return Response(s.ClusterCheckSerializer(cluster, context=context).data)

    @extend_schema(responses=s.ClusterHealthSerializer)
    @action(detail=True, methods=["get"])
    def health(self, request, slug=None):
        """The last health check and the phase changes of the last 7 days."""
        cluster = self.get_object()
        context = {
            **self.get_serializer_context(),
            "history": health_services.cluster_phase_history(cluster=cluster)[:PHASE_HISTORY_LIMIT],
        }
        return Response(s.ClusterHealthSerializer(cluster, context=context).data)


class NodeFilter(filters.FilterSet):
    cluster = filters.CharFilter(field_name="cluster__slug")
    missing = filters.BooleanFilter(field_name="missing_since", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Node
        fields = ["cluster", "ready", "unschedulable", "missing"]


def _as_field_errors(exc: kube.KubeInvalid, field: str) -> PortalError:
    """The API server's validation causes, reported on the request's field."""
    messages = [m for ms in exc.field_errors.values() for m in ms if m] or [exc.message]
    return PortalError(exc.message, field_errors={field: messages})


class NodeViewSet(PortalReadOnlyViewSet):
    """Nodes as last synced. The actions (platform admins) act on the cluster
    with the portal's credential and answer with the node as re-read."""

    model = Node
    serializer_class = s.NodeSerializer
    select_related = ("cluster",)
    audit_kind = "Node"
    filterset_class = NodeFilter
    search_fields = ["name", "address"]
    ordering_fields = ["name", "ready", "last_synced"]

    def audit_target(self, obj):
        return {"cluster": obj.cluster.slug, "name": obj.name}

    def _node(self, request) -> Node:
        node = self.get_object()
        self._describe(node)
        return node

    @extend_schema(request=None, responses=s.NodeSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsPlatformAdmin])
    def cordon(self, request, pk=None):
        """Mark the node unschedulable: running pods stay, new ones go elsewhere."""
        return Response(s.NodeSerializer(node_services.node_cordon(node=self._node(request))).data)

    @extend_schema(request=None, responses=s.NodeSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsPlatformAdmin])
    def uncordon(self, request, pk=None):
        return Response(s.NodeSerializer(node_services.node_uncordon(node=self._node(request))).data)

    @extend_schema(request=s.NodeDrainSerializer, responses={202: JobSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsPlatformAdmin])
    def drain(self, request, pk=None):
        """Cordon the node and evict its pods in a job (PodDisruptionBudgets respected)."""
        node = self._node(request)
        serializer = s.NodeDrainSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = node_services.node_drain(node=node, user=request.user, **serializer.validated_data)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=s.NodeLabelsSerializer, responses=s.NodeSerializer)
    @action(detail=True, methods=["put"], permission_classes=[IsPlatformAdmin])
    def labels(self, request, pk=None):
        node = self._node(request)
        serializer = s.NodeLabelsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            node = node_services.node_labels_set(node=node, labels=serializer.validated_data["labels"])
        except kube.KubeInvalid as exc:
            raise _as_field_errors(exc, "labels") from None
        return Response(s.NodeSerializer(node).data)

    @extend_schema(request=s.NodeTaintsSerializer, responses=s.NodeSerializer)
    @action(detail=True, methods=["put"], permission_classes=[IsPlatformAdmin])
    def taints(self, request, pk=None):
        node = self._node(request)
        serializer = s.NodeTaintsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            node = node_services.node_taints_set(node=node, taints=serializer.validated_data["taints"])
        except kube.KubeInvalid as exc:
            raise _as_field_errors(exc, "taints") from None
        return Response(s.NodeSerializer(node).data)

    @extend_schema(responses=s.NodePodsSerializer)
    @action(detail=True, methods=["get"], permission_classes=[IsPlatformAdmin])
    def pods(self, request, pk=None):
        """The pods scheduled on the node, read live (every team's: platform admins only)."""
        pods, more = node_pods(node=self.get_object())
        return Response(s.NodePodsSerializer({"pods": pods, "more": more}).data)
