from django.db.models import Count

from hosts.api import serializers as s
from hosts.models import Host, SSHCredential
from portal.permissions import IsPlatformAdmin
from portal.viewsets import PortalModelViewSet


class SSHCredentialViewSet(PortalModelViewSet):
    model = SSHCredential
    serializer_class = s.SSHCredentialSerializer
    permission_classes = [IsPlatformAdmin]
    audit_kind = "SSHCredential"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .annotate(hosts_total=Count("hosts", distinct=True))
            .order_by(*SSHCredential._meta.ordering)
        )

    filterset_fields = ["kind"]
    search_fields = ["name"]
    ordering_fields = ["name", "created"]


class HostViewSet(PortalModelViewSet):
    model = Host
    serializer_class = s.HostSerializer
    permission_classes = [IsPlatformAdmin]
    select_related = ("credential", "cluster")
    audit_kind = "Host"
    filterset_fields = ["role", "sudo_mode"]
    search_fields = ["name", "address"]
    ordering_fields = ["name", "address", "created", "last_seen"]
