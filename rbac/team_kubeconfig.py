"""A kubeconfig for a member's team namespaces, so quotas and RBAC hold for
kubectl too.

Each namespace gets a context whose credential is a short-lived token
(TokenRequest API) of the member's own ServiceAccount for the team, which
lives in the portal's identity namespace (no team role has rights there, so
no teammate can mint or steal its tokens) and is bound to their role's
ClusterRole in each team namespace. When the membership ends the reconciler
deletes the ServiceAccount, and every token issued for it stops working.
"""

from collections import defaultdict

import yaml
from django.conf import settings
from django.utils.translation import gettext as _

from clusters import kube
from portal.errors import PortalError
from portal.teams import Membership, Team
from rbac import provisioning as p
from rbac.choices import NamespacePhase


def _cluster_entry(cluster) -> dict:
    if not cluster.kubeconfig:
        raise PortalError(_("Cluster %(name)s has no credentials.") % {"name": cluster.name})
    stored = yaml.safe_load(cluster.kubeconfig.reveal())
    entry = dict(stored["clusters"][0]["cluster"])
    return {
        "server": entry["server"],
        **(
            {"certificate-authority-data": entry["certificate-authority-data"]}
            if entry.get("certificate-authority-data")
            else {}
        ),
    }


def team_kubeconfig(*, user, team: Team) -> str:
    """Issue tokens and build the kubeconfig text (shown once, never stored)."""
    membership = Membership.objects.filter(user=user, team=team).first()
    if membership is None:
        raise PortalError(_("Only members of %(team)s can download its kubeconfig.") % {"team": team})
    namespaces = list(team.namespaces.filter(phase=NamespacePhase.READY).select_related("cluster", "team", "plan"))
    if not namespaces:
        raise PortalError(_("Team %(team)s has no ready namespace yet.") % {"team": team})
    by_cluster = defaultdict(list)
    for tn in namespaces:
        by_cluster[tn.cluster].append(tn)
    config = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": []}
    identity = p.identity_name(team.slug, user.get_username())
    for cluster, team_namespaces in sorted(by_cluster.items(), key=lambda item: item[0].slug):
        config["clusters"].append({"name": cluster.slug, "cluster": _cluster_entry(cluster)})
        with kube.client_for(cluster) as client:
            # The reconciler keeps these; applying them here makes a new member's download work at once.
            kube.server_side_apply(client, p.identity_namespace_object())
            for obj in p.identity_objects({team.slug: [membership]}):
                kube.server_side_apply(client, obj)
            for tn in team_namespaces:
                for obj in p.member_objects(tn, [membership]):
                    kube.server_side_apply(client, obj)
            request = kube.k8s.AuthenticationV1TokenRequest(
                spec=kube.k8s.V1TokenRequestSpec(
                    audiences=[], expiration_seconds=settings.TEAM_KUBECONFIG_TOKEN_SECONDS
                )
            )
            token = client.core.create_namespaced_service_account_token(
                identity, p.identity_namespace(), request
            ).status.token
        user_name = f"{cluster.slug}/{identity}"
        config["users"].append({"name": user_name, "user": {"token": token}})
        for tn in team_namespaces:
            context = f"{cluster.slug}/{tn.name}"
            config["contexts"].append(
                {"name": context, "context": {"cluster": cluster.slug, "user": user_name, "namespace": tn.name}}
            )
    config["current-context"] = config["contexts"][0]["name"]
    return yaml.safe_dump(config, sort_keys=False)
