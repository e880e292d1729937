"""`make bench-workloads`: the first page of a big namespace's pod list.

Starts its own devcluster (never the shared one), registers it as a cluster
in the throwaway database the make target points DATABASE_URL at, with a team
whose namespaces the reconciler provisions. The bench's plan sets no limits,
so those namespaces get no ResourceQuota: quota admission would count every
one of 20,000 pods, and the bench measures reading, not admission. Pods are
created as the cluster admin straight onto simulated nodes (no scheduler;
kwok marks them Running), a bounded number of requests at a time.

Then, at `--small` and at `--pods` pods in the team namespace (and with
`--cluster-pods` in the cluster), one after another per round, after a
warm-up: the raw GET of the first page (limit=100) from the API server, with
the same credential and impersonation as the portal; the portal's API answer
for it; its HTML page. The portal runs under gunicorn (one sync worker, as
the Dockerfile runs it), reached over HTTP with a session cookie; its worker's
peak RSS is read from /proc. Prints a table; tears the devcluster down.
"""

import json
import logging
import math
import statistics
import time
from types import SimpleNamespace

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client

from clusters.services.clusters import cluster_create
from portal.roles import TeamRole
from portal.teams import Membership, Team
from rbac.choices import NamespacePhase
from rbac.identity import identity_for
from rbac.models import QuotaPlan, TeamNamespace
from rbac.reconcile import reconcile_cluster
from workloads import objects
from workloads.management.commands._workloads_bench import (
    PODS_PER_NODE,
    ApiServer,
    PortalServer,
    database_url,
    memory_kib,
    percentiles,
    reset_peak,
)

CLUSTER_LOGS = "/apis/kwok.x-k8s.io/v1alpha1/clusterlogs"
# The portal's own per-user API throttle would refuse a benchmark's rounds.
SERVER_ENV = {"API_THROTTLE_USER": "100000/minute", "DEBUG": "false"}


class Command(BaseCommand):
    help = "Benchmark the first page of a namespace's pod list (API and HTML) against the raw API server GET."

    def add_arguments(self, parser):
        parser.add_argument("--small", type=int, default=500, help="pods in the namespace for the first figures")
        parser.add_argument("--pods", type=int, default=5000, help="pods in the namespace for the second")
        parser.add_argument("--cluster-pods", type=int, default=20000, help="pods in the whole cluster at the end")
        parser.add_argument("--namespaces", type=int, default=4, help="team namespaces sharing --cluster-pods")
        parser.add_argument("--repeat", type=int, default=15, help="timed rounds per figure")
        parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first")
        parser.add_argument("--concurrency", type=int, default=16, help="pod creations at a time")
        parser.add_argument(
            "--profile", action="store_true", help="at the end, where the portal's time goes (cProfile, in process)"
        )

    def handle(self, *args, small, pods, cluster_pods, namespaces, repeat, warmup, concurrency, profile, **options):
        from devcluster import DevCluster

        if not 0 < small <= pods <= cluster_pods or namespaces < 1 or repeat < 1:
            raise CommandError("Need 0 < --small <= --pods <= --cluster-pods, --namespaces >= 1, --repeat >= 1.")
        self.repeat, self.warmup, self.concurrency = repeat, warmup, concurrency
        self.rows, self.notes, self.created = [], [], 0
        logging.getLogger("axes").setLevel(logging.WARNING)  # one line per session made here
        with DevCluster.start(nodes=3) as dc:
            api = ApiServer(dc.server, dc.api().context)
            self.nodes = _bench_nodes(dc, math.ceil(cluster_pods / PODS_PER_NODE))
            world = _world(dc, namespaces)
            portal = PortalServer(env={**SERVER_ENV, "DATABASE_URL": database_url(connection.settings_dict)})
            try:
                self._phases(api, portal, world, small, pods, cluster_pods)
            finally:
                portal.stop()
            if profile:
                self._profile(world)
            rss = dc.rss_bytes().get("kube-apiserver", 0)
            self.notes.append(f"kube-apiserver RSS at the end: {rss / 2**20:.0f} MiB")
        self._report()

    def _phases(self, api, portal, world, small, pods, cluster_pods):
        big, others = world.namespaces[0], world.namespaces[1:]
        member, admin = world.member, world.admin
        self._fill(api, big.name, 0, small)
        self._measure(api, portal, big, member, f"{small:,} pods in the namespace")
        self._fill(api, big.name, small, pods)
        self._measure(api, portal, big, member, f"{pods:,} pods in the namespace")
        rest = cluster_pods - pods
        for index, namespace in enumerate(others):
            share = rest // len(others) + (1 if index < rest % len(others) else 0)
            self._fill(api, namespace.name, 0, share)
        if others:
            self._measure(api, portal, big, member, f"{pods:,} in the namespace, {cluster_pods:,} in the cluster")
        self._measure(
            api, portal, big, admin, f"platform admin (not a member), {cluster_pods:,} in the cluster", as_admin=True
        )
        # The admin's cluster-wide list (workloads/places.py: "<cluster>:*").
        everywhere = SimpleNamespace(pk=f"{big.cluster.slug}:*", name="")
        self._measure(
            api, portal, everywhere, admin, f"platform admin, all namespaces, {cluster_pods:,} pods", as_admin=True
        )

    def _fill(self, api, namespace, start, stop):
        if stop <= start:
            return
        names = [f"web-{i:05d}" for i in range(start, stop)]
        seconds = api.create_pods(namespace, names, self.nodes, concurrency=self.concurrency)
        running = api.wait_running(namespace, timeout=max(120, len(names) / 10))
        settled = f"all Running {running:.1f} s later" if running is not None else "not all Running in time"
        # The devcluster's container-log stand-in makes one ClusterLogs object per
        # pod; measuring while it catches up would measure it.
        self.created += len(names)
        logs = api.wait_count(CLUSTER_LOGS, self.created, timeout=max(120, len(names) / 10))
        if logs is not None:
            settled += f", their ClusterLogs (devcluster log stand-in) {logs:.1f} s after that"
        self.notes.append(
            f"created {len(names):,} pods in {namespace} in {seconds:.1f} s ({len(names) / seconds:.0f}/s, "
            f"{self.concurrency} at a time); {settled}"
        )

    def _measure(self, api, portal, namespace, user, label, *, as_admin=False):
        """Raw, raw decoded, API and HTML in turn, `warmup` + `repeat` rounds; the worker's
        peak RSS over the timed rounds."""
        limit = objects.LIST_LIMIT
        where = f"/namespaces/{namespace.name}" if namespace.name else ""  # "": every namespace
        raw_path = f"/api/v1{where}/pods?limit={limit}"
        identity = None if as_admin else identity_for(user)
        headers = []
        if identity is not None:
            headers = [("Impersonate-User", identity.user)] + [("Impersonate-Group", g) for g in identity.groups]
        cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={_session(user)}"}
        targets = {
            "raw API server GET": lambda: api.get(raw_path, headers),
            # The least any Python client does with the page: read it, and decode its JSON.
            "raw GET + json.loads (bench process)": lambda: _decoded(api.get(raw_path, headers)),
            "portal API": lambda: portal.get(
                f"/api/v1/namespaces/{namespace.pk}/kinds/pods/?limit={limit}", {**cookie, "Accept": "application/json"}
            ),
            "portal HTML page": lambda: portal.get(f"/workloads/namespaces/{namespace.pk}/pods/", cookie),
        }
        times = {name: [] for name in targets}
        sizes = {}
        for round_ in range(self.warmup + self.repeat):
            if round_ == self.warmup:
                before = memory_kib(portal.worker_pid)["VmRSS"]
                reset_peak(portal.worker_pid)
            for name, call in targets.items():
                started = time.perf_counter()
                status, body = call()
                elapsed = time.perf_counter() - started
                if status != 200:
                    raise CommandError(f"{name}: HTTP {status}: {body[:300]!r}")
                sizes[name] = len(body)
                if round_ >= self.warmup:
                    times[name].append(elapsed)
        _check_page(targets)
        memory = memory_kib(portal.worker_pid)
        self.rows.append((label, times, sizes, before, memory["VmHWM"]))

    def _profile(self, world):
        """The API answer and the HTML page of the first namespace, in this
        process through Django's test client, under cProfile: the functions
        that take the most time of their own (the figures above are the server's)."""
        import cProfile
        import io
        import pstats

        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(world.member, backend="django.contrib.auth.backends.ModelBackend")
        namespace = world.namespaces[0]
        paths = [f"/api/v1/namespaces/{namespace.pk}/kinds/pods/", f"/workloads/namespaces/{namespace.pk}/pods/"]
        for path in paths:
            client.get(path)  # warm-up
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(self.repeat):
                response = client.get(path, HTTP_ACCEPT="application/json" if "/api/" in path else "text/html")
            profiler.disable()
            if response.status_code != 200:
                raise CommandError(f"{path}: HTTP {response.status_code}")
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
            self.notes.append(f"\ncProfile of {self.repeat} GETs of {path} (in process):\n{out.getvalue()}")

    def _report(self):
        write = self.stdout.write
        write(f"\nfirst page (limit={objects.LIST_LIMIT}); median / p95 of {self.repeat} rounds after {self.warmup}")
        write("| case | request | median | p95 | bytes | vs raw (median) |")
        write("|---|---|---|---|---|---|")
        for label, times, sizes, _before, _peak in self.rows:
            raw = statistics.median(times["raw API server GET"])
            for name, samples in times.items():
                median, p95 = percentiles(samples)
                write(f"| {label} | {name} | {_ms(median)} | {_ms(p95)} | {sizes[name]:,} | {median / raw:.2f}× |")
        write("\nportal worker (gunicorn, 1 sync worker) memory while serving the timed rounds")
        write("| case | RSS before | peak RSS (VmHWM) |")
        write("|---|---|---|")
        for label, _times, _sizes, before, peak in self.rows:
            write(f"| {label} | {before / 1024:.1f} MiB | {peak / 1024:.1f} MiB |")
        write("")
        for note in self.notes:
            write(note)


def _check_page(targets):
    """The portal answered with the API server's page: its pods, and a next page when there is one."""
    answer = json.loads(targets["portal API"]()[1])
    raw = json.loads(targets["raw API server GET"]()[1])
    if len(answer["items"]) != len(raw["items"]) or answer["items"][0]["name"] != raw["items"][0]["metadata"]["name"]:
        raise CommandError("The portal's page is not the API server's.")
    if bool(answer["continue"]) != bool(raw["metadata"].get("continue")):
        raise CommandError("The portal's page and the API server's disagree about a next page.")


def _decoded(answer: tuple[int, bytes]) -> tuple[int, bytes]:
    json.loads(answer[1])
    return answer


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _session(user) -> str:
    """A signed-in session for `user` in the database the server reads."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _bench_nodes(dc, count: int) -> list[str]:
    """Simulated workers big enough for the bench's pods (kwok runs them)."""
    from devcluster import nodes

    client = dc.api()
    specs = [nodes.NodeSpec(f"bench-{i:02d}", cpu="1000", memory="4Ti", pods=str(PODS_PER_NODE)) for i in range(count)]
    for index, spec in enumerate(specs, start=len(dc.node_names)):
        client.post("/api/v1/nodes", nodes.manifest(spec, index))
    names = [spec.name for spec in specs]
    deadline = time.monotonic() + 120
    while not nodes.all_ready(client, names):
        if time.monotonic() > deadline:
            raise CommandError("The bench nodes did not become Ready.")
        time.sleep(0.5)
    return names


class _World:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def _world(dc, count: int) -> _World:
    """The devcluster as a registered cluster; a team with a developer; a
    platform admin outside it; `count` team namespaces, provisioned."""
    users = get_user_model()
    cluster = cluster_create(name="Bench", slug="bench", kubeconfig=yaml.safe_dump(dc.admin_kubeconfig_dict()))
    plan = QuotaPlan.objects.create(name="Unlimited (bench)", slug="bench-unlimited")
    team = Team.objects.create(name="Bench", slug="bench", auto_approve_namespaces=True)
    team.allowed_clusters.set([cluster])
    member = users.objects.create(username="bench-developer")
    Membership.objects.create(team=team, user=member, role=TeamRole.DEVELOPER)
    admin = users.objects.create(username="bench-admin", is_staff=True)
    namespaces = [
        TeamNamespace.objects.create(
            team=team, cluster=cluster, name=f"bench-{i}", plan=plan, phase=NamespacePhase.PROVISIONING
        )
        for i in range(count)
    ]
    report = reconcile_cluster(cluster=cluster)
    if report.failed:
        raise CommandError(f"Provisioning failed: {report.failed[:3]}")
    for namespace in namespaces:
        namespace.refresh_from_db()
        if namespace.phase != NamespacePhase.READY:
            raise CommandError(f"{namespace.name} is {namespace.phase}: {namespace.conditions}")
    return _World(namespaces=namespaces, member=member, admin=admin)
