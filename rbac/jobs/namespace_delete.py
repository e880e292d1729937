"""Deleting a team namespace: delete it in the cluster, wait until it has
finalized (its pods and everything else gone), then mark the record deleted.

Only a namespace the portal created for this record (its owner annotation
carries the record's uid) is ever deleted; a namespace of the same name that
is someone else's is left alone, and the record is closed without touching it.
"""

import time

from django.utils import timezone
from django.utils.translation import gettext_noop

from clusters import kube
from jobs.registry import JobKind, StepFailed, StepSpec, register
from portal.stored_text import Message
from rbac import conditions
from rbac.choices import NamespacePhase
from rbac.models import TeamNamespace
from rbac.namespace_names import is_owned_by

POLL_SECONDS = 1.0


@register
class DeleteNamespace(JobKind):
    name = "namespace.delete"

    def steps(self, job):
        return [
            StepSpec("delete", Message(gettext_noop("Delete the namespace"))),
            StepSpec("finalize", Message(gettext_noop("Wait for the namespace to finalize"))),
        ]

    def run_step(self, ctx, step):
        tn = TeamNamespace.objects.select_related("cluster").get(pk=ctx.job.params["team_namespace"])
        with kube.client_for(tn.cluster) as client:
            if step.name == "delete":
                try:
                    ns = client.core.read_namespace(tn.name)
                except kube.KubeNotFound:
                    ctx.log(Message(gettext_noop("Namespace %(name)s is already gone."), name=tn.name))
                    return "skipped"
                if not is_owned_by(client.to_dict(ns), tn.uid):
                    ctx.log(
                        Message(
                            gettext_noop(
                                "Namespace %(name)s in the cluster was not created by the portal for this team "
                                "namespace: it is left untouched; only the record is closed."
                            ),
                            name=tn.name,
                        )
                    )
                    return "skipped"
                # The uid precondition: if the namespace was replaced since the read, nothing is deleted.
                options = kube.k8s.V1DeleteOptions(preconditions=kube.k8s.V1Preconditions(uid=ns.metadata.uid))
                client.core.delete_namespace(tn.name, body=options)
                ctx.log(
                    Message(
                        gettext_noop("Deleting namespace %(name)s on %(cluster)s."),
                        name=tn.name,
                        cluster=tn.cluster.name,
                    )
                )
            elif step.name == "finalize":
                self._wait_gone(ctx, client, tn, ctx.job.params.get("timeout_seconds", 600))
                TeamNamespace.objects.filter(pk=tn.pk).update(
                    phase=NamespacePhase.DELETED,
                    last_reconciled=timezone.now(),
                    conditions=[
                        {
                            "type": "Deleted",
                            "status": "True",
                            "at": timezone.now().isoformat(),
                            **conditions.stored(conditions.Reason("DeletedByJob", job=ctx.job.pk)),
                        }
                    ],
                )
        return None

    def _wait_gone(self, ctx, client, tn, timeout):
        deadline = time.monotonic() + timeout
        reported = None
        while True:
            ctx.check_canceled()
            try:
                ns = client.core.read_namespace(tn.name)
            except kube.KubeNotFound:
                ctx.log(Message(gettext_noop("Namespace %(name)s has finalized."), name=tn.name))
                return
            if not is_owned_by(client.to_dict(ns), tn.uid):
                return  # someone else's namespace of the same name: not ours to wait for
            remaining = [c.message for c in ns.status.conditions or [] if c.status == "True" and c.message]
            if remaining and remaining != reported:
                # The conditions' messages are the API server's: shown as they are.
                ctx.log(Message(gettext_noop("Waiting: %(conditions)s"), conditions="; ".join(remaining)))
                reported = remaining
            if time.monotonic() > deadline:
                raise StepFailed(
                    Message(
                        gettext_noop("Namespace %(name)s did not finalize within %(seconds)ss: %(conditions)s"),
                        name=tn.name,
                        seconds=timeout,
                        conditions="; ".join(remaining or []),
                    )
                )
            time.sleep(POLL_SECONDS)
