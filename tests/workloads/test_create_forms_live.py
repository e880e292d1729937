"""Create from a form (workloads/views_create.py) against the devcluster: each
kind's form makes what the API server then has; a StatefulSet comes with its
headless Service and claims; bad input and the API server's refusals are
messages at the fields, with nothing created; the quota speaks before
anything is applied; viewers and other teams are refused."""

import html
import re

import pytest
from django.test import Client

from clusters import kube
from portal.models import AuditEvent
from workloads import objects, services
from workloads.kinds import KINDS

pytestmark = [pytest.mark.devcluster, pytest.mark.django_db]


def as_(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_url(namespace, plural) -> str:
    return f"/workloads/namespaces/{namespace.pk}/{plural}/new/form/"


def text(response) -> str:
    return html.unescape(response.content.decode())


def rows(prefix: str, *values: dict, total: int) -> dict:
    """A formset's posted rows, as the page's form sends them."""
    data = {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": "0"}
    for index, row in enumerate(values):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def field_errors(page: str, field: str) -> list[str]:
    """The messages shown at one field of the form."""
    match = re.search(rf'<div class="field has-error" id="field-{re.escape(field)}">(.*?)</div>', page, re.S)
    return re.findall(r'<p class="error" role="alert">(.*?)</p>', match.group(1), re.S) if match else []


def live(tenancy, namespace, plural, name) -> dict | None:
    with kube.client_for(tenancy.cluster) as client:
        try:
            return objects.get_object(client, KINDS[plural], namespace.name, name)
        except kube.KubeNotFound:
            return None


POD = {
    "image": "nginx:1.27",
    "env": "GREETING=hello\nMODE=test",
    "cpu_request": "50m",
    "cpu_limit": "100m",
    "memory_request": "32Mi",
    "memory_limit": "64Mi",
    "labels": "tier=web\nteam.example.com/owner=a",
    **rows("ports", {"name": "http", "port": "8080", "protocol": "TCP"}, {"port": "9090", "protocol": "UDP"}, total=3),
}
EXTRA = {
    "deployments": {"replicas": "1"},
    "daemonsets": {},
    "jobs": {"completions": "2", "parallelism": "1", "backoff_limit": "3", "restart_policy": "Never"},
    "cronjobs": {"schedule": "*/5 * * * *", "time_zone": "Europe/Paris", "restart_policy": "OnFailure"},
}


def _pod_spec(obj: dict) -> dict:
    spec = obj["spec"]
    spec = spec["jobTemplate"]["spec"] if "jobTemplate" in spec else spec
    return spec["template"]["spec"]


@pytest.mark.parametrize("plural", sorted(EXTRA))
def test_it_creates_each_kind_from_its_form(tenancy, ready_ns, unique, plural):
    name = unique(plural[:8])
    developer = as_(tenancy.developer)
    page = developer.get(form_url(ready_ns, plural))
    assert page.status_code == 200 and 'id="create-form"' in text(page)
    listed = text(developer.get(f"/workloads/namespaces/{ready_ns.pk}/{plural}/"))
    assert f'id="kind-create" href="{form_url(ready_ns, plural)}"' in listed

    data = {"name": name, **POD, **EXTRA[plural]}
    preview = developer.post(form_url(ready_ns, plural), {**data, "preview": "1"})
    assert preview.status_code == 200, text(preview)
    assert f"name: {name}" in text(preview) and "image: nginx:1.27" in text(preview)
    assert live(tenancy, ready_ns, plural, name) is None  # a preview is a dry run
    if plural == "cronjobs":  # when it would run, in its time zone
        assert "Next runs (Europe/Paris)" in text(preview)

    created = developer.post(form_url(ready_ns, plural), {**data, "create": "1"})
    assert created.status_code == 302, text(created)
    assert created["Location"] == f"/workloads/namespaces/{ready_ns.pk}/{plural}/{name}/"
    obj = live(tenancy, ready_ns, plural, name)
    assert obj["metadata"]["labels"] == {"tier": "web", "team.example.com/owner": "a", "app.kubernetes.io/name": name}
    (container,) = _pod_spec(obj)["containers"]
    assert container["image"] == "nginx:1.27"
    assert [(p.get("name"), p["containerPort"], p["protocol"]) for p in container["ports"]] == [
        ("http", 8080, "TCP"),
        (None, 9090, "UDP"),
    ]
    assert container["env"] == [{"name": "GREETING", "value": "hello"}, {"name": "MODE", "value": "test"}]
    assert container["resources"] == {
        "requests": {"cpu": "50m", "memory": "32Mi"},
        "limits": {"cpu": "100m", "memory": "64Mi"},
    }
    if plural == "jobs":
        assert (obj["spec"]["completions"], obj["spec"]["parallelism"], obj["spec"]["backoffLimit"]) == (2, 1, 3)
    if plural == "cronjobs":
        assert (obj["spec"]["schedule"], obj["spec"]["timeZone"]) == ("*/5 * * * *", "Europe/Paris")
        assert _pod_spec(obj)["restartPolicy"] == "OnFailure"
    if plural == "deployments":
        assert obj["spec"]["replicas"] == 1
    event = AuditEvent.objects.latest("pk")
    assert (event.action, event.result, event.target_name) == (f"{KINDS[plural].kind.lower()}.create", "success", name)

    # The same name again is refused at the name, not quietly applied over the first.
    again = developer.post(form_url(ready_ns, plural), {**data, "image": "nginx:1.28", "create": "1"})
    assert again.status_code == 409
    assert "already exists here" in " ".join(field_errors(text(again), "name"))
    assert _pod_spec(live(tenancy, ready_ns, plural, name))["containers"][0]["image"] == "nginx:1.27"


def test_a_statefulset_comes_with_its_headless_service_and_claims(tenancy, ready_ns, unique):
    name = unique("db")
    data = {
        "name": name,
        "image": "postgres:16",
        "replicas": "1",
        "cpu_request": "50m",
        "memory_request": "32Mi",
        **rows("ports", {"name": "pg", "port": "5432", "protocol": "TCP"}, total=3),
        **rows(
            "claims",
            {"name": "data", "size": "1Gi", "access_mode": "ReadWriteOnce", "mount_path": "/var/lib/postgresql"},
            {
                "name": "logs",
                "size": "100Mi",
                "access_mode": "ReadWriteOnce",
                "storage_class": "slow",
                "mount_path": "/logs",
            },
            total=2,
        ),
    }
    created = as_(tenancy.developer).post(form_url(ready_ns, "statefulsets"), {**data, "create": "1"})
    assert created.status_code == 302, text(created)
    service = live(tenancy, ready_ns, "services", name)
    assert service["spec"]["clusterIP"] == "None"
    assert service["spec"]["selector"] == {"app.kubernetes.io/name": name}
    assert [(p["name"], p["port"]) for p in service["spec"]["ports"]] == [("pg", 5432)]
    statefulset = live(tenancy, ready_ns, "statefulsets", name)
    assert statefulset["spec"]["serviceName"] == name
    claims = statefulset["spec"]["volumeClaimTemplates"]
    assert [(c["metadata"]["name"], c["spec"]["resources"]["requests"]["storage"]) for c in claims] == [
        ("data", "1Gi"),
        ("logs", "100Mi"),
    ]
    assert "storageClassName" not in claims[0]["spec"] and claims[1]["spec"]["storageClassName"] == "slow"
    mounts = statefulset["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    assert [(m["name"], m["mountPath"]) for m in mounts] == [("data", "/var/lib/postgresql"), ("logs", "/logs")]


def test_services_of_each_type(tenancy, ready_ns, unique):
    developer = as_(tenancy.developer)
    port = {"name": "http", "port": "80", "target_port": "8080", "protocol": "TCP"}
    made = {}
    for service_type, extra in (("ClusterIP", {}), ("NodePort", {"node_port": ""}), ("Headless", {})):
        name = unique(service_type.lower()[:8])
        data = {"name": name, "type": service_type, "selector": "app.kubernetes.io/name=web"}
        response = developer.post(
            form_url(ready_ns, "services"), {**data, **rows("ports", {**port, **extra}, total=3), "create": "1"}
        )
        assert response.status_code == 302, text(response)
        made[service_type] = live(tenancy, ready_ns, "services", name)["spec"]
    assert made["ClusterIP"]["type"] == "ClusterIP" and made["ClusterIP"]["clusterIP"] != "None"
    assert made["ClusterIP"]["ports"][0]["targetPort"] == 8080
    assert made["NodePort"]["type"] == "NodePort" and 30000 <= made["NodePort"]["ports"][0]["nodePort"] <= 32767
    assert made["Headless"]["clusterIP"] == "None"
    assert made["Headless"]["selector"] == {"app.kubernetes.io/name": "web"}

    # A node port out of range, or on a ClusterIP Service, is the form's message.
    bad = developer.post(
        form_url(ready_ns, "services"),
        {
            "name": unique("np"),
            "type": "ClusterIP",
            **rows("ports", {**port, "node_port": "80"}, total=3),
            "create": "1",
        },
    )
    assert bad.status_code == 400 and "30000" in text(bad)


def test_bad_input_is_a_message_per_field_and_creates_nothing(tenancy, ready_ns, unique):
    developer = as_(tenancy.developer)
    data = {
        "name": "Bad_Name",
        "image": "has space",
        "replicas": "-1",
        "cpu_request": "lots",
        "memory_limit": "12 GB",
        "env": "NOEQUALS",
        "labels": "bad key!=x",
        **rows("ports", {"name": "http", "port": "70000"}, total=3),
        "create": "1",
    }
    response = developer.post(form_url(ready_ns, "deployments"), data)
    page = text(response)
    assert response.status_code == 400
    assert "lots is not a Kubernetes quantity" in " ".join(field_errors(page, "cpu_request"))
    assert "12 GB is not a Kubernetes quantity" in " ".join(field_errors(page, "memory_limit"))
    assert "Line 1: write name=value." in field_errors(page, "env")
    assert "a label name has 1 to 63" in " ".join(field_errors(page, "labels"))
    for field in ("name", "image", "replicas", "ports-0-port"):
        assert field_errors(page, field), field
    # A request above its limit is the request's message.
    over = developer.post(
        form_url(ready_ns, "deployments"),
        {"name": unique("web"), "image": "nginx", "replicas": "1", "cpu_request": "2", "cpu_limit": "1", "create": "1"},
    )
    assert over.status_code == 400 and "more than the limit" in " ".join(field_errors(text(over), "cpu_request"))
    with kube.client_for(tenancy.cluster) as client:
        assert objects.list_page(client, KINDS["deployments"], ready_ns.name)["items"] == []


def test_the_preview_shows_the_api_servers_refusal_at_the_field(tenancy, ready_ns, unique):
    developer = as_(tenancy.developer)
    name = unique("svc")
    # Two ports without names: only the API server says each needs one.
    data = {
        "name": name,
        "type": "ClusterIP",
        "selector": "app=web",
        **rows("ports", {"port": "80"}, {"port": "443"}, total=3),
        "preview": "1",
    }
    response = developer.post(form_url(ready_ns, "services"), data)
    page = text(response)
    assert response.status_code == 400, page
    assert "Required value" in " ".join(field_errors(page, "ports-0-name") + field_errors(page, "ports-1-name"))
    assert "see the messages at the fields" in page
    assert live(tenancy, ready_ns, "services", name) is None
    # No port at all: the API server's message is the ports' as a whole.
    portless = developer.post(form_url(ready_ns, "services"), {"name": name, "type": "ClusterIP", "preview": "1"})
    ports = re.search(r'<fieldset class="rowset" id="rows-ports">(.*?)</fieldset>', text(portless), re.S).group(1)
    assert portless.status_code == 400 and "Required value" in ports
    # A CronJob's schedule is the API server's (or the portal's cron reader's) to check.
    cron = developer.post(
        form_url(ready_ns, "cronjobs"),
        {"name": unique("cj"), "image": "busybox", "schedule": "61 * * * *", "restart_policy": "Never", "preview": "1"},
    )
    assert cron.status_code == 400 and field_errors(text(cron), "schedule")


def test_edit_as_yaml_carries_the_manifests_to_the_yaml_page(tenancy, ready_ns, unique):
    name = unique("web")
    response = as_(tenancy.developer).post(
        form_url(ready_ns, "deployments"), {"name": name, "image": "nginx:1.27", "replicas": "2", "yaml": "1"}
    )
    page = text(response)
    assert response.status_code == 200
    assert f'action="/workloads/namespaces/{ready_ns.pk}/deployments/new/"' in page
    assert f"name: {name}" in page and "replicas: 2" in page
    assert live(tenancy, ready_ns, "deployments", name) is None


def test_the_quota_speaks_before_anything_is_created(tenancy, ready_ns, unique):
    """The plan: 1 CPU of requests, 3 pods. A pod already takes 600m."""
    pod = KINDS["pods"].template(unique("busy"))
    pod["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "600m"}, "limits": {"cpu": "600m"}}
    services.live_apply(user=tenancy.developer, namespace=ready_ns, documents=[pod])
    developer = as_(tenancy.developer)
    name = unique("web")
    base = {"name": name, "image": "nginx", "cpu_request": "600m", "cpu_limit": "600m", "create": "1"}
    # One more such pod: the API server's quota message, from a pod tried with a dry run.
    one = developer.post(form_url(ready_ns, "deployments"), {**base, "replicas": "1"})
    assert one.status_code == 403, text(one)
    assert "exceeded quota" in text(one)
    assert field_errors(text(one), "cpu_request")
    # Smaller pods, but three of them: the portal adds them up against what is left.
    three = developer.post(
        form_url(ready_ns, "deployments"), {**base, "cpu_request": "200m", "cpu_limit": "200m", "replicas": "3"}
    )
    assert three.status_code == 403, text(three)
    assert "3 pods need 600m of requests.cpu" in " ".join(field_errors(text(three), "cpu_request"))
    assert live(tenancy, ready_ns, "deployments", name) is None


def test_viewers_are_refused_and_other_teams_find_nothing(tenancy, ready_ns, unique):
    name = unique("web")
    data = {"name": name, "image": "nginx", "replicas": "1", "create": "1"}
    viewer = as_(tenancy.viewer)
    assert viewer.get(form_url(ready_ns, "deployments")).status_code == 403
    refused = viewer.post(form_url(ready_ns, "deployments"), data)
    assert refused.status_code == 403 and "reads objects" in text(refused)
    assert 'id="kind-create"' not in text(viewer.get(f"/workloads/namespaces/{ready_ns.pk}/deployments/"))
    other = as_(tenancy.users["b-owner"])
    assert other.get(form_url(ready_ns, "deployments")).status_code == 404
    assert other.post(form_url(ready_ns, "deployments"), data).status_code == 404
    assert live(tenancy, ready_ns, "deployments", name) is None
    # Kinds without a form have the YAML page only.
    assert as_(tenancy.developer).get(form_url(ready_ns, "configmaps")).status_code == 404
