"""A node's page: observed status, resources, versions, labels, taints, its
pods read live (platform admins), and the admin actions: cordon, uncordon,
drain (a job), labels and taints (validated by the API server)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from clusters import kube
from clusters.forms import NodeDrainForm, NodeLabelsForm, NodeTaintsForm
from clusters.selectors import node_pods
from clusters.services import nodes as services
from clusters.views import NodeMixin, capacity_bars, node_status
from clusters.views_live import nodes_live, stop_polling_when_settled
from portal.audit import audit_describe
from portal.errors import PortalError
from portal.generic import ObjectDetailView, add_errors


def labels_text(labels: dict) -> str:
    return "\n".join(f"{key}={value}" for key, value in sorted((labels or {}).items()))


def taints_text(taints: list) -> str:
    return "\n".join(f"{t['key']}={t.get('value') or ''}:{t['effect']}" for t in taints or [])


class NodeDetailView(NodeMixin, ObjectDetailView):
    template_name = "clusters/node_detail.html"

    def may_change(self, obj):
        return self.request.user.is_staff

    def get(self, request, **kwargs):
        response = super().get(request, **kwargs)
        return stop_polling_when_settled(request, response, self.live)

    def extra_context(self, node):
        # Before the pods are read: a sync that landed meanwhile shows with them.
        self.live = nodes_live(self.request, [node.cluster], path=reverse("clusters:node-detail", args=[node.pk]))
        context = {
            "live": self.live,
            "title": f"{node.cluster.name} / {node.name}",
            "crumb": node.name,
            "status": node_status(node),
            "resources": capacity_bars([node]) if node.missing_since is None else [],
            "versions": [
                (_("kubelet"), node.versions.get("kubelet")),
                (_("kube-proxy"), node.versions.get("kube_proxy")),
                (_("Container runtime"), node.versions.get("container_runtime")),
                (_("OS image"), node.versions.get("os_image")),
                (_("Kernel"), node.versions.get("kernel")),
                (_("Architecture"), node.versions.get("architecture")),
            ],
            "labels_form": NodeLabelsForm(initial={"labels": labels_text(node.labels)}),
            "taints_form": NodeTaintsForm(initial={"taints": taints_text(node.taints)}),
            "pods": None,
            "pods_error": "",
            "pods_more": False,
        }
        if self.request.user.is_staff and node.missing_since is None:
            try:
                context["pods"], context["pods_more"] = node_pods(node=node)
            except kube.KubeError as exc:
                context["pods_error"] = exc.message
        return context


class NodeActionView(NodeDetailView):
    """POST actions; bad input re-renders the node page with the errors (400).
    Drain, which evicts every pod, is asked first: its GET is the confirmation
    page, whose form posts the drain (the node page links there)."""

    http_method_names = ["get", "post"]
    drain_template_name = "clusters/node_drain.html"

    def get(self, request, pk, action):
        if action != "drain":
            return self.http_method_not_allowed(request)
        node = self.get_object()
        if not request.user.is_staff:
            raise PermissionDenied(_("Only platform admins may change nodes."))
        return self.drain_page(node, NodeDrainForm())

    def drain_page(self, node, form, status=200):
        return render(
            self.request,
            self.drain_template_name,
            {
                "object": node,
                "form": form,
                "title": _("Drain %(node)s?") % {"node": node.name},
                "breadcrumbs": [*self.parent_crumbs(node), (self.detail_url(node), node.name)],
                "crumb": _("Drain"),
            },
            status=status,
        )

    def post(self, request, pk, action):
        node = self.get_object()
        if not request.user.is_staff:
            raise PermissionDenied(_("Only platform admins may change nodes."))
        audit_describe(request, action=f"node.{action}", kind="Node", cluster=node.cluster.slug, name=node.name)
        handler = getattr(self, f"do_{action.replace('-', '_')}", None)
        if handler is None:
            raise PermissionDenied
        return handler(node)

    def _done(self, node, message):
        messages.success(self.request, message)
        return redirect("clusters:node-detail", pk=node.pk)

    def _failed(self, node, exc):
        messages.error(self.request, exc.message)
        return redirect("clusters:node-detail", pk=node.pk)

    def do_cordon(self, node):
        try:
            node = services.node_cordon(node=node)
        except PortalError as exc:
            return self._failed(node, exc)
        return self._done(node, _("Cordoned %(node)s: no new pods are scheduled on it.") % {"node": node.name})

    def do_uncordon(self, node):
        try:
            node = services.node_uncordon(node=node)
        except PortalError as exc:
            return self._failed(node, exc)
        return self._done(node, _("Uncordoned %(node)s.") % {"node": node.name})

    def do_drain(self, node):
        form = NodeDrainForm(self.request.POST)
        if not form.is_valid():
            return self.drain_page(node, form, status=400)
        job = services.node_drain(
            node=node, user=self.request.user, timeout_seconds=form.cleaned_data["timeout_seconds"]
        )
        messages.success(self.request, _("Draining %(node)s.") % {"node": node.name})
        return redirect("jobs:job-detail", pk=job.pk)

    def do_labels(self, node):
        form = NodeLabelsForm(self.request.POST)
        if form.is_valid():
            try:
                node = services.node_labels_set(node=node, labels=form.cleaned_data["labels"])
            except PortalError as exc:
                add_errors(form, {}, exc.message, default_field="labels")
            else:
                return self._done(node, _("Saved the labels of %(node)s.") % {"node": node.name})
        return self.render_page(node, status=400, labels_form=form)

    def do_taints(self, node):
        form = NodeTaintsForm(self.request.POST)
        if form.is_valid():
            try:
                node = services.node_taints_set(node=node, taints=form.cleaned_data["taints"])
            except PortalError as exc:
                add_errors(form, {}, exc.message, default_field="taints")
            else:
                return self._done(node, _("Saved the taints of %(node)s.") % {"node": node.name})
        return self.render_page(node, status=400, taints_form=form)
