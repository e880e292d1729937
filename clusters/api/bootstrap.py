"""The REST side of bringing up a cluster with kubeadm: the plan as a dry run,
and the start. Platform admins only; everything is checked before anything
runs (400 with a message per field)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from clusters.bootstrap import lifecycle
from clusters.bootstrap import services as bootstrap_services
from clusters.bootstrap.spec import DEFAULT_VERSION, spec_validate
from hosts.api.serializers import PreflightPlanSerializer
from hosts.models import Host
from jobs.api.serializers import JobSerializer
from portal.audit import audit_describe
from portal.errors import PortalError
from portal.permissions import IsPlatformAdmin

SPEC_FIELDS = (
    "control_plane",
    "workers",
    "pod_cidr",
    "service_cidr",
    "version",
    "advertise_address",
    "image_repository",
    "packages_mirror",
    "runtime_mirror",
    "network_addon",
    "network_manifest_url",
    "ignore_preflight_errors",
)


class ClusterSpecSerializer(PreflightPlanSerializer):
    version = serializers.CharField(max_length=32, required=False, allow_blank=True, default=DEFAULT_VERSION)
    advertise_address = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text=_("Blank: the control-plane host's address.")
    )
    image_repository = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        help_text=_("Blank: registry.k8s.io. A mirror such as registry.aliyuncs.com/google_containers."),
    )
    packages_mirror = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text=_("Blank: pkgs.k8s.io for the version.")
    )
    runtime_mirror = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text=_("Blank: the OS's own containerd package.")
    )
    network_addon = serializers.ChoiceField(choices=["flannel", "calico"], required=False, default="flannel")
    network_manifest_url = serializers.CharField(max_length=500, required=False, allow_blank=True)
    ignore_preflight_errors = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=50, required=False, default=list
    )

    def spec(self):
        return spec_validate(**{name: self.validated_data.get(name) for name in SPEC_FIELDS})


class BootstrapStartSerializer(ClusterSpecSerializer):
    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(max_length=50)
    network_manifest = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5 * 1024 * 1024,
        trim_whitespace=False,
        help_text=_("The pod network add-on's manifest, for sites that cannot download it."),
    )


class BootstrapActions:
    """Mixed into ClusterViewSet: /clusters/bootstrap/ and /clusters/bootstrap/preview/."""

    @extend_schema(
        request=ClusterSpecSerializer, responses={200: serializers.ListSerializer(child=serializers.DictField())}
    )
    @action(detail=False, methods=["post"], url_path="bootstrap/preview", permission_classes=[IsPlatformAdmin])
    def bootstrap_preview(self, request):
        """Every step of bringing up this cluster and its commands per host,
        secrets left out. Nothing runs."""
        data = ClusterSpecSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(bootstrap_services.bootstrap_preview(spec=data.spec()))

    @extend_schema(request=BootstrapStartSerializer, responses={202: JobSerializer})
    @action(detail=False, methods=["post"], url_path="bootstrap", permission_classes=[IsPlatformAdmin])
    def bootstrap_start(self, request):
        """Record the cluster, reserve its hosts and start the bootstrap job."""
        # The body may be any JSON (a list, a number): the serializer says what is wrong with it.
        slug = request.data.get("slug", "") if hasattr(request.data, "get") else ""
        audit_describe(request, action="cluster.bootstrap", kind="Cluster", name=slug)
        data = BootstrapStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = bootstrap_services.bootstrap_start(
            name=data.validated_data["name"],
            slug=data.validated_data["slug"],
            spec=data.spec(),
            network_manifest=data.validated_data.get("network_manifest", ""),
            user=request.user,
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class WorkersAddSerializer(serializers.Serializer):
    workers = serializers.ListField(child=serializers.CharField(max_length=100), min_length=1, max_length=100)


class HostRemoveSerializer(serializers.Serializer):
    host = serializers.CharField(max_length=100)


class LifecycleActions:
    """Mixed into ClusterViewSet: /clusters/<slug>/workers/ and /clusters/<slug>/hosts/remove/."""

    @extend_schema(request=WorkersAddSerializer, responses={202: JobSerializer})
    @action(detail=True, methods=["post"], url_path="workers", permission_classes=[IsPlatformAdmin])
    def workers_add(self, request, slug=None):
        """Add registered hosts as workers to a cluster the portal brought up:
        the bring-up's steps again, with a new join token."""
        cluster = self.get_object()
        audit_describe(request, action="cluster.workers_add", kind="Cluster", name=cluster.slug)
        data = WorkersAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = lifecycle.cluster_workers_add(cluster=cluster, workers=data.validated_data["workers"], user=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"], url_path="bootstrap/rerun", permission_classes=[IsPlatformAdmin])
    def bootstrap_rerun(self, request, slug=None):
        """Run the bring-up's steps again: what is as planned is left alone,
        what drifted is put back."""
        cluster = self.get_object()
        audit_describe(request, action="cluster.bootstrap_rerun", kind="Cluster", name=cluster.slug)
        job = lifecycle.cluster_bootstrap_rerun(cluster=cluster, user=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=HostRemoveSerializer, responses={202: JobSerializer})
    @action(detail=True, methods=["post"], url_path="hosts/remove", permission_classes=[IsPlatformAdmin])
    def host_remove(self, request, slug=None):
        """Take a worker out: drain it, `kubeadm reset` on the host, delete its Node."""
        cluster = self.get_object()
        audit_describe(request, action="cluster.host_remove", kind="Cluster", name=cluster.slug)
        data = HostRemoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        host = Host.objects.filter(name=data.validated_data["host"], cluster=cluster).first()
        if host is None:
            raise PortalError(
                _("No such host in this cluster."), field_errors={"host": [_("Not a host of this cluster.")]}
            )
        job = lifecycle.cluster_node_remove(cluster=cluster, host=host, user=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
