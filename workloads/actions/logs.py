"""Container logs of Pods and Jobs.

Read as the user from /api/v1/namespaces/<ns>/pods/<pod>/log (the API server
asks the node's kubelet): the last lines, a download, or the followed stream
for a bounded time. A Job's logs are one of its pods' (the newest unless
another is chosen). A container that does not exist and a previous container
that never was are refused per field (400) before the API server is asked,
and mapped the same when the API server says so itself.

Both the shown and the followed log are read through the client's
`open_stream` (its credentials and impersonation, Accept */*: the API server
answers 406 to text/plain on this path, though its answer is plain text).
"""

import threading
import time
from urllib.parse import quote, urlencode

from django import forms
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clusters import kube
from workloads import columns, objects
from workloads.actions.base import Action, Call, register
from workloads.kinds import KINDS
from workloads.selectors import client_as

PODS = KINDS["pods"]
TAIL_DEFAULT = 500
TAIL_MAX = 10000
# A shown or downloaded log is at most this much (the API server cuts it, limitBytes).
LIMIT_BYTES = 8 * 1024 * 1024
# A followed log ends after this long, so no request holds a worker forever.
FOLLOW_SECONDS = 300
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"


class LogsForm(forms.Form):
    container = forms.CharField(
        label=gettext_lazy("Container"),
        required=False,
        max_length=253,
        widget=forms.TextInput(attrs={"list": "log-containers", "autocapitalize": "off"}),
        help_text=gettext_lazy("Empty: the pod's first container."),
    )
    tail_lines = forms.IntegerField(
        label=gettext_lazy("Last lines"), required=False, min_value=1, max_value=TAIL_MAX, initial=TAIL_DEFAULT
    )
    previous = forms.BooleanField(label=gettext_lazy("Previous container (before its last restart)"), required=False)
    timestamps = forms.BooleanField(label=gettext_lazy("Timestamps"), required=False)
    follow = forms.BooleanField(label=gettext_lazy("Follow (live, for 5 minutes)"), required=False)
    download = forms.BooleanField(label=gettext_lazy("Download"), required=False)


class JobLogsForm(LogsForm):
    pod = forms.CharField(
        label=gettext_lazy("Pod"),
        required=False,
        max_length=253,
        widget=forms.TextInput(attrs={"list": "log-pods", "autocapitalize": "off"}),
        help_text=gettext_lazy("Empty: the Job's newest pod."),
        # The pod comes first on the page: its containers are the choice below.
    )
    field_order = ["pod"]


def _invalid(field: str, message: str) -> kube.KubeInvalid:
    return kube.KubeInvalid(message, field_errors={field: [message]})


def containers(pod: dict) -> list[dict]:
    """The pod's containers, init containers first (in the order they run)."""
    spec = pod.get("spec") or {}
    found = [{"name": c["name"], "init": True} for c in spec.get("initContainers") or []]
    return found + [{"name": c["name"], "init": False} for c in spec.get("containers") or []]


def default_container(pod: dict) -> str:
    """kubectl's choice: the pod's default-container annotation, else its first container."""
    named = (columns.dig(pod, "metadata", "annotations", default={}) or {}).get(DEFAULT_CONTAINER)
    regular = [c["name"] for c in containers(pod) if not c["init"]]
    return named if named in regular else (regular[0] if regular else "")


def _has_previous(pod: dict, container: str) -> bool:
    status = pod.get("status") or {}
    for entry in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        if entry.get("name") == container:
            return bool(columns.dig(entry, "lastState", "terminated")) or entry.get("restartCount", 0) > 0
    return False


def job_pods(call: Call) -> list[dict]:
    """The Job's pods, newest first (by its controller-uid label, as the Job controller finds them)."""
    job = objects.get_object(call.client, call.kind, call.namespace, call.name)
    selector = f"batch.kubernetes.io/controller-uid={job['metadata']['uid']}"
    page = objects.list_page(call.client, PODS, call.namespace, limit=objects.LIST_LIMIT_MAX, label_selector=selector)
    return sorted(page["items"], key=lambda p: (p["metadata"].get("creationTimestamp", ""), p["metadata"]["name"]))[
        ::-1
    ]


def _target(call: Call) -> tuple[dict, list[str]]:
    """The pod whose log is read, and (for a Job) the pods to choose from."""
    if call.kind.kind == "Pod":
        return objects.get_object(call.client, PODS, call.namespace, call.name), []
    pods = job_pods(call)
    names = [p["metadata"]["name"] for p in pods]
    wanted = call.data.get("pod") or ""
    if wanted and wanted not in names:
        raise _invalid(
            "pod",
            _("Job %(job)s has no pod %(pod)s; it has: %(pods)s.")
            % {"job": call.name, "pod": wanted, "pods": ", ".join(names) or _("none")},
        )
    if not pods:
        raise kube.KubeNotFound(_("Job %(job)s has no pods (yet, or any more).") % {"job": call.name})
    return pods[names.index(wanted) if wanted else 0], names


def _checked_container(pod: dict, data: dict) -> str:
    names = [c["name"] for c in containers(pod)]
    container = data.get("container") or default_container(pod)
    pod_name = pod["metadata"]["name"]
    if container not in names:
        raise _invalid(
            "container",
            _("Pod %(pod)s has no container %(container)s; it has: %(containers)s.")
            % {"pod": pod_name, "container": container, "containers": ", ".join(names)},
        )
    if data.get("previous") and not _has_previous(pod, container):
        raise _invalid(
            "previous",
            _("Container %(container)s of pod %(pod)s has not restarted: there is no previous container's log.")
            % {"pod": pod_name, "container": container},
        )
    return container


def _query(container: str, data: dict, *, follow: bool) -> list[tuple[str, str]]:
    query = [("container", container), ("tailLines", str(data.get("tail_lines") or TAIL_DEFAULT))]
    query += [(key, "true") for key in ("previous", "timestamps") if data.get(key)]
    return query + ([("follow", "true")] if follow else [("limitBytes", str(LIMIT_BYTES))])


def open_log(client: kube.KubeClient, path: str, query, *, read_seconds: float) -> kube.Stream:
    """The API server's answer on the log path, unread; a refusal raises the
    translated error, with the fields it is about."""
    try:
        return client.open_stream(path, query, read_timeout=read_seconds)
    except kube.KubeError as exc:
        raise _log_error(exc) from None


def _log_error(exc: kube.KubeError) -> kube.KubeError:
    """The kubelet's and API server's words for a wrong container or a missing
    previous one, on the field they are about."""
    if isinstance(exc, kube.KubeInvalid) and not exc.field_errors:
        for field, marker in (("previous", "previous terminated container"), ("container", "container")):
            if marker in exc.message:
                return _invalid(field, exc.message)
    return exc


class FollowedLog:
    """The followed log as a response's iterator: it ends after FOLLOW_SECONDS,
    when the API server ends it, or when the client goes away (the server
    closes the iterator); the connection and client are released then."""

    def __init__(self, client: kube.KubeClient, stream: kube.Stream):
        self.client, self.stream = client, stream
        self.deadline = time.monotonic() + FOLLOW_SECONDS
        # A read blocked on a quiet log is cut at the deadline, not after it.
        self.timer = threading.Timer(FOLLOW_SECONDS, stream.cut)
        self.timer.daemon = True
        self.timer.start()
        self.chunks = stream.chunks()

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        if time.monotonic() >= self.deadline:
            self.close()
            raise StopIteration
        try:
            return next(self.chunks)
        except StopIteration:
            self.close()
            raise
        except Exception:  # cut at the deadline, or the API server went away
            self.close()
            raise StopIteration from None

    def close(self):
        if self.client is None:  # closed already (at the end, then by the server)
            return
        self.timer.cancel()
        self.stream.close()
        self.client.close()
        self.client = None


def _log_path(namespace: str, pod: str) -> str:
    return f"{PODS.collection_path(namespace)}/{quote(pod, safe='')}/log"


def _filename(pod: str, container: str) -> str:
    return f"{pod}-{container}.log"


def _follow(call: Call, path: str, query, filename: str, download: bool):
    # The call's client is closed when `run` returns; the stream needs one of its own.
    client = client_as(call.user, call.team_namespace)
    try:
        stream = open_log(client, path, query, read_seconds=FOLLOW_SECONDS)
    except Exception:
        client.close()
        raise
    streamed = StreamingHttpResponse(FollowedLog(client, stream), content_type="text/plain; charset=utf-8")
    streamed["Cache-Control"] = "no-store"
    streamed["X-Accel-Buffering"] = "no"  # a proxy in front passes lines on as they come
    if download:
        streamed["Content-Disposition"] = f'attachment; filename="{filename}"'
    return streamed


def _logs(call: Call):
    pod, pods = _target(call)
    pod_name = pod["metadata"]["name"]
    container = _checked_container(pod, call.data)
    path, filename = _log_path(call.namespace, pod_name), _filename(pod_name, container)
    if call.data.get("follow"):
        return _follow(call, path, _query(container, call.data, follow=True), filename, call.data.get("download"))
    with open_log(call.client, path, _query(container, call.data, follow=False), read_seconds=kube.READ_TIMEOUT) as log:
        text = log.text()
    if call.data.get("download"):
        answer = HttpResponse(text, content_type="text/plain; charset=utf-8")
        answer["Content-Disposition"] = f'attachment; filename="{filename}"'
        return answer
    options = {
        "container": container,
        "tail_lines": call.data.get("tail_lines") or TAIL_DEFAULT,
        **{key: "on" for key in ("previous", "timestamps") if call.data.get(key)},
        **({"pod": pod_name} if pods else {}),
    }
    return {
        "pod": pod_name,
        "pods": pods,
        "container": container,
        "containers": containers(pod),
        "text": text,
        "lines": text.count("\n"),
        "query": urlencode(options),
    }


# One action for both kinds; a Job's form also chooses the pod.
for _kind, _form in (("Pod", LogsForm), ("Job", JobLogsForm)):
    register(
        Action(
            "logs",
            gettext_lazy("Logs"),
            kinds=(_kind,),
            run=_logs,
            form=_form,
            method="GET",
            template="workloads/actions/_logs.html",
            on_detail=False,
        )
    )
