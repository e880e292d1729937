"""Where live objects are read and changed: the namespace part of a workloads
address, in the pages (`/workloads/namespaces/<place>/...`) and the API
(`/api/v1/namespaces/<place>/kinds/...`).

    42                  a team namespace, by id: its team's members (and platform admins)
    prod:kube-system    any namespace of cluster `prod`, by name: platform admins only
    prod:*              every namespace of cluster `prod` (lists only): platform admins only

Team members can only name team namespaces (`TeamNamespace.objects.for_user`),
so a team cannot reach `kube-system` or another team's namespace through a
name: for them every other address is a 404, as if it did not exist. A
platform admin naming a team's namespace by name gets the team namespace
itself, so its pages, audit records and quota read as the team's.
"""

from dataclasses import dataclass

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from clusters.models import Cluster
from rbac.choices import NamespacePhase
from rbac.models import TeamNamespace

EVERY = "*"
NAMESPACE_NAME = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
# A path segment: a team namespace's id, or "<cluster slug>:<namespace name or *>".
PLACE = rf"[0-9]+|[-a-zA-Z0-9_]+:(?:{NAMESPACE_NAME}|\*)"


class PlaceConverter:
    """`<place:pk>` in URL patterns: the segment stays a string; `place_for` reads it."""

    regex = PLACE

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


@dataclass(frozen=True, eq=False)
class ClusterNamespace:
    """A namespace of a cluster that no team holds (or all of them, `name`
    empty), as a platform admin reaches it. It answers what the pages and
    services ask of a `TeamNamespace`: `pk` (its address), `cluster`, `name`,
    `team` (none), `phase`."""

    cluster: Cluster
    name: str

    team = None
    phase = NamespacePhase.READY

    @property
    def pk(self) -> str:
        return f"{self.cluster.slug}:{self.name or EVERY}"

    @property
    def every(self) -> bool:
        """Whether this is all of the cluster's namespaces (lists only)."""
        return not self.name

    def get_phase_display(self) -> str:
        return str(NamespacePhase.READY.label)

    def __str__(self) -> str:
        return f"{self.cluster.slug}/{self.name or EVERY}"


def spans_cluster(namespace) -> bool:
    return getattr(namespace, "every", False)


def place_for(user, place: str, *, every: bool = False):
    """The team namespace or cluster namespace a URL names, as `user` may
    reach it; 404 for anything else. `every` allows `<cluster>:*`."""
    place = str(place)
    if place.isdigit():
        return get_object_or_404(
            TeamNamespace.objects.for_user(user).select_related("team", "cluster", "plan"), pk=int(place)
        )
    slug, _sep, name = place.partition(":")
    if not (user.is_authenticated and user.is_staff) or not _sep:
        raise Http404(_("No such namespace."))
    cluster = get_object_or_404(Cluster, slug=slug)
    if name == EVERY:
        if not every:
            raise Http404(_("Choose a namespace: objects live in one namespace each."))
        return ClusterNamespace(cluster, "")
    held = TeamNamespace.objects.select_related("team", "cluster", "plan").filter(cluster=cluster, name=name).first()
    return held or ClusterNamespace(cluster, name)


def role_in(user, namespace) -> str | None:
    """The user's role in the namespace's team (none outside a team namespace)."""
    return namespace.team.role_of(user) if namespace.team is not None else None


def as_platform(user, namespace) -> bool:
    """Whether the portal acts for `user` with its own credential: a platform
    admin outside the namespace's team (or anywhere outside team namespaces)."""
    return bool(user.is_staff) and role_in(user, namespace) is None


def places_by_name(cluster, names) -> dict[str, object]:
    """namespace name -> the address of its pages: the team namespace's id when
    a team holds it, else `<cluster>:<name>` (for an admin's cluster-wide list)."""
    held = dict(TeamNamespace.objects.filter(cluster=cluster, name__in=set(names)).values_list("name", "pk"))
    return {name: held.get(name) or f"{cluster.slug}:{name}" for name in names}
