"""The API of live objects: any registered kind in a team namespace.

    GET    /api/v1/namespaces/<id>/kinds/<plural>/          a page (?limit=&continue=&labelSelector=
                                                              &fieldSelector=&name=)
    GET    /api/v1/namespaces/<id>/kinds/<plural>/<name>/   one object, its columns and status
    POST   /api/v1/namespaces/<id>/kinds/<plural>/apply/    server-side apply of manifests (?dry_run=1)
    GET    /api/v1/namespaces/<id>/kinds/<plural>/<name>/<action>/  a read action (history, events, ...)
    POST   /api/v1/namespaces/<id>/kinds/<plural>/<name>/<action>/  a change ({"replicas": n} to scale, ...)
    DELETE /api/v1/namespaces/<id>/kinds/<plural>/<name>/   (?propagation=background|foreground|orphan)

`<id>` is a team namespace the user sees (`TeamNamespace.objects.for_user`)
or, for platform admins, `<cluster>:<namespace>` (any namespace) and, for
lists, `<cluster>:*` (all namespaces; each item names its namespace); see
workloads/places.py. Anything else is 404. Team members act impersonated, so
the API server's RBAC and admission decide too; a platform admin outside the
team acts with the portal's credential. (An object named "apply" cannot be
read here: that name is the apply action's.)
"""

from django.http import HttpResponseBase
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.response import Response

from portal.audit import audit_describe
from portal.errors import ConflictError
from rbac.choices import NamespacePhase
from workloads import objects, places, selectors, services
from workloads.actions import ACTIONS, action_for, actions_for
from workloads.kinds import KINDS, kind_for


class ManifestYAMLParser(BaseParser):
    """A YAML body, one or several documents: {"documents": [...]}."""

    media_type = "application/yaml"

    def parse(self, stream, media_type=None, parser_context=None):
        text = stream.read().decode("utf-8", errors="replace") if stream else ""
        return {"documents": objects.parse_yaml(text)}


class ManifestXYAMLParser(ManifestYAMLParser):
    media_type = "application/x-yaml"


def _documents(data) -> list:
    """The manifests of a JSON body: {"documents": [...]}, {"yaml": "..."}, a
    list of manifests, or one manifest."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get("documents"), list):
        return data["documents"]
    if isinstance(data, dict) and isinstance(data.get("yaml"), str):
        return objects.parse_yaml(data["yaml"])
    return [data] if data else []


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes", "all")


NAMESPACE_ID = OpenApiParameter(
    "namespace_pk",
    str,
    OpenApiParameter.PATH,
    pattern=f"^(?:{places.PLACE})$",
    description="A team namespace's id; for platform admins also `<cluster>:<namespace>`, "
    "and `<cluster>:*` (all namespaces) for lists.",
)
PLURAL = OpenApiParameter("plural", str, OpenApiParameter.PATH, enum=sorted(KINDS), description="The kind's plural.")
NAME = OpenApiParameter("name", str, OpenApiParameter.PATH, description="The object's name.")
LIST_PARAMETERS = [
    OpenApiParameter("limit", int, description=f"Objects per page (1-{objects.LIST_LIMIT_MAX})."),
    OpenApiParameter("continue", str, description="The `continue` token of the previous page."),
    OpenApiParameter("labelSelector", str, description="A Kubernetes label selector."),
    OpenApiParameter("fieldSelector", str, description="A Kubernetes field selector (e.g. status.phase=Running)."),
    OpenApiParameter("name", str, description="Only the object of this exact name."),
]
DRY_RUN = OpenApiParameter("dry_run", bool, description="Ask the API server what it would do; apply nothing.")
ACTION = OpenApiParameter(
    "action_name",
    str,
    OpenApiParameter.PATH,
    enum=sorted({n for a in ACTIONS.values() for n in a}),
    description="The action.",
)
PROPAGATION = OpenApiParameter("propagation", str, enum=sorted(objects.PROPAGATION), description="Dependents.")


@extend_schema_view(
    list=extend_schema(
        operation_id="v1_namespaces_kinds_list",
        parameters=[NAMESPACE_ID, PLURAL, *LIST_PARAMETERS],
        responses=OpenApiTypes.OBJECT,
    ),
    retrieve=extend_schema(
        operation_id="v1_namespaces_kinds_object_retrieve",
        parameters=[NAMESPACE_ID, PLURAL, NAME],
        responses=OpenApiTypes.OBJECT,
    ),
    destroy=extend_schema(parameters=[NAMESPACE_ID, PLURAL, NAME, PROPAGATION], responses={204: None}),
    apply=extend_schema(
        parameters=[NAMESPACE_ID, PLURAL, DRY_RUN],
        request={"application/json": OpenApiTypes.OBJECT, "application/yaml": OpenApiTypes.STR},
        responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT},
    ),
)
class LiveObjectViewSet(viewsets.ViewSet):
    """Live objects of the registered kinds (workloads/kinds.py) in a team namespace."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, ManifestYAMLParser, ManifestXYAMLParser]
    lookup_field = "name"
    lookup_value_regex = r"[^/]+"  # DNS names, and RBAC's path segments (system:controller:...)

    def initial(self, request, *args, **kwargs):
        # Named before authentication, so that a refused attempt is recorded as precisely.
        if request.method not in SAFE_METHODS:
            kind = KINDS.get(kwargs.get("plural", ""))
            verb = kwargs.get("action_name") or self.action or request.method.lower()
            audit_describe(
                request,
                action=f"{kind.kind.lower() if kind else 'object'}.{verb}",
                kind=kind.kind if kind else kwargs.get("plural", ""),
                name=kwargs.get("name", ""),
            )
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in SAFE_METHODS:
            try:
                request._request.audit_data = request.data
            except Exception:  # an unreadable body was already answered with 400
                request._request.audit_data = {}
        return response

    def _namespace(self, *, listing: bool = False):
        """The namespace of the address (workloads/places.py). `<cluster>:*`
        (all of a cluster's namespaces) lists any kind and is the only address
        of cluster-scoped kinds (ClusterRoles)."""
        kind = self._kind()
        namespace = places.place_for(
            self.request.user, self.kwargs["namespace_pk"], every=listing or not kind.namespaced
        )
        if not kind.namespaced and not places.spans_cluster(namespace):
            raise exceptions.NotFound(
                _("%(kind)s objects belong to the whole cluster: use the address %(cluster)s:*.")
                % {"kind": kind.kind, "cluster": namespace.cluster.slug}
            )
        if self.request.method not in SAFE_METHODS:
            audit_describe(self.request, team=namespace.team, cluster=namespace.cluster.slug, namespace=namespace.name)
        if namespace.phase != NamespacePhase.READY:
            raise ConflictError(
                _("Namespace %(name)s is %(phase)s: it has no objects to show or change.")
                % {"name": namespace.name, "phase": namespace.get_phase_display()}
            )
        return namespace

    def _kind(self):
        return kind_for(self.kwargs["plural"])

    def list(self, request, namespace_pk=None, plural=None):
        kind, namespace = self._kind(), self._namespace(listing=True)
        try:
            limit = int(request.query_params.get("limit", objects.LIST_LIMIT))
        except ValueError:
            limit = 0
        if not 1 <= limit <= objects.LIST_LIMIT_MAX:
            raise exceptions.ValidationError(
                {"limit": [_("A whole number from 1 to %(max)s.") % {"max": objects.LIST_LIMIT_MAX}]}
            )
        page = selectors.live_list(
            user=request.user,
            namespace=namespace,
            kind=kind,
            limit=limit,
            continue_token=request.query_params.get("continue", ""),
            label_selector=request.query_params.get("labelSelector", ""),
            field_selector=request.query_params.get("fieldSelector", ""),
            name=request.query_params.get("name", ""),
        )
        columns = [{"name": column.name, "label": str(column.label)} for column in kind.columns]
        about = {
            "kind": kind.kind,
            "label": str(kind.label),
            "actions": [a.name for a in actions_for(kind)],
            "read_only": kind.read_only,
        }
        # The template to start a new object from (read-only kinds have none to offer).
        about["template"] = "" if kind.read_only else kind.template_yaml("example")
        return Response({**about, "namespace": namespace.name or None, "columns": columns, **page})

    def retrieve(self, request, namespace_pk=None, plural=None, name=None):
        kind, namespace = self._kind(), self._namespace()
        return Response(
            {"kind": kind.kind, **selectors.live_get(user=request.user, namespace=namespace, kind=kind, name=name)}
        )

    def destroy(self, request, namespace_pk=None, plural=None, name=None):
        kind, namespace = self._kind(), self._namespace()
        propagation = request.query_params.get("propagation", "background")
        if propagation not in objects.PROPAGATION:
            raise exceptions.ValidationError({"propagation": [_("One of: %s.") % ", ".join(objects.PROPAGATION)]})
        services.live_delete(user=request.user, namespace=namespace, kind=kind, name=name, propagation=propagation)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=False, methods=["post"])
    def apply(self, request, namespace_pk=None, plural=None):
        """Server-side apply of one or several manifests (YAML or JSON) as you."""
        self._kind()  # an unknown plural is a 404 whatever the body says
        namespace = self._namespace()
        documents = _documents(request.data)
        audit_describe(request, **objects.manifest_targets(documents))
        dry_run = _flag(request.query_params.get("dry_run"))
        results = services.live_apply(user=request.user, namespace=namespace, documents=documents, dry_run=dry_run)
        created = not dry_run and any(r["result"] == "created" for r in results)
        return Response(
            {"dry_run": dry_run, "results": results}, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        methods=["GET"],
        operation_id="v1_namespaces_kinds_action_read",
        parameters=[NAMESPACE_ID, PLURAL, NAME, ACTION],
        responses=OpenApiTypes.OBJECT,
        description="A read action of the kind (history, events, ...); its options are query parameters.",
    )
    @extend_schema(
        methods=["POST"],
        operation_id="v1_namespaces_kinds_action_change",
        parameters=[NAMESPACE_ID, PLURAL, NAME, ACTION],
        request=OpenApiTypes.OBJECT,
        responses=OpenApiTypes.OBJECT,
        description="A change action of the kind (scale, set-image, ...); 400 names each refused field.",
    )
    @action(detail=True, methods=["get", "post"], url_path=r"(?P<action_name>[a-z][-a-z]*)")
    def act(self, request, namespace_pk=None, plural=None, name=None, action_name=None):
        """One of the kind's special actions (workloads/actions/): GET reads, POST changes."""
        kind, namespace = self._kind(), self._namespace()
        found = action_for(kind, action_name)
        if request.method != found.method:
            raise exceptions.MethodNotAllowed(request.method)
        data = request.data if found.changes else request.query_params
        if not isinstance(data, dict):  # a JSON list or scalar: the form reads fields by name
            raise exceptions.ValidationError(
                {"non_field_errors": [_('Send the action\'s fields as a JSON object, e.g. {"replicas": 2}.')]}
            )
        answer = services.live_action(
            user=request.user, namespace=namespace, kind=kind, name=name, action=found, data=data
        )
        if isinstance(answer, HttpResponseBase):  # a download or a stream
            return answer
        return Response({"kind": kind.kind, "name": name, "action": found.name, **answer})
