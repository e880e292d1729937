"""A cluster the portal brings up on registered hosts with kubeadm."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.fields import EncryptedTextField


class ClusterBootstrap(models.Model):
    """What was asked (the spec, as clusters.bootstrap.spec.ClusterSpec
    stores it) and the secrets the bootstrap needs. The hosts are the plan's,
    reserved for this cluster (Host.cluster) when the bootstrap starts."""

    cluster = models.OneToOneField(
        "clusters.Cluster", on_delete=models.CASCADE, related_name="bootstrap", verbose_name=_("cluster")
    )
    spec = models.JSONField(_("spec"))
    # A kubeadm bootstrap token: with the CA hash it lets a machine join.
    token = EncryptedTextField(_("bootstrap token"), blank=True)
    # The pod network add-on's manifest when an admin uploaded it (air-gapped
    # sites); otherwise it is read from the spec's URL.
    network_manifest = models.TextField(_("pod network manifest"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cluster bootstrap")
        verbose_name_plural = _("cluster bootstraps")

    def __str__(self):
        return f"bootstrap of {self.cluster_id}"
