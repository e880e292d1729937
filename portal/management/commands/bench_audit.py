"""`make bench-audit`: the audit trail at one million events.

Fills the audit table (PostgreSQL, COPY) with `--events` events spread over a
year as a portal's would be: a few hundred actors, some much busier than
others; forty teams and platform events of no team; eight clusters; a
hundred actions over a dozen kinds; mostly successes. Then, after a warm-up,
times `--rounds` rounds of the first page of the filtered audit list, through
the API and the HTML page (the Django test client, in this process, signed in
as a platform admin and as a team owner), shows the plan PostgreSQL chose for
each filter, and times CSV exports of `--small-export` and `--export` rows
with this process's peak resident memory while it streams them (VmHWM from
/proc, reset before each export), so the two peaks show whether memory grows
with the export.
"""

import io
import math
import random
import statistics
import time
from datetime import timedelta
from pathlib import Path

import orjson
import psycopg
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone
from psycopg import sql

from portal.audit_export import COLUMNS as EVENT_COLUMNS
from portal.audit_filters import AuditEventFilterSet
from portal.models import AuditEvent

KINDS = {
    "Deployment": ("create", "update", "destroy", "scale", "restart", "set-image", "rollback"),
    "StatefulSet": ("create", "update", "destroy", "scale", "update-strategy"),
    "ConfigMap": ("create", "edit", "destroy"),
    "Secret": ("create", "edit", "destroy", "reveal"),
    "Service": ("create", "update", "destroy"),
    "Ingress": ("create", "update", "destroy"),
    "CronJob": ("create", "suspend", "resume", "trigger", "destroy"),
    "Job": ("create", "destroy"),
    "Pod": ("destroy", "exec", "logs"),
    "TeamNamespace": ("create", "partial_update", "reconcile", "destroy"),
    "Membership": ("create", "partial_update", "destroy"),
    "Team": ("create", "partial_update", "kubeconfig"),
}
RESULTS = (("success", 900), ("invalid", 40), ("denied", 30), ("failed", 20), ("refused", 10))
CHANNELS = (("ui", 40), ("api", 20), ("token", 25), ("job", 15))
TEAMS = 40
ACTORS = 300
CLUSTERS = ("prod-eu", "prod-us", "staging", "dev", "edge-1", "edge-2", "batch", "gpu")
# The COPY's columns: what an event shows, less its id, its team as the key.
COLUMNS = [source.replace("team__slug", "team_id") for name, source in EVENT_COLUMNS.items() if name != "id"]
STATUS = {"success": 200, "invalid": 400, "denied": 403, "failed": 502, "refused": 404}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def memory_kib() -> dict[str, int]:
    """This process's VmRSS and VmHWM (resident high-water mark), in KiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # a new high-water mark from the current RSS


class Command(BaseCommand):
    help = "Benchmark the audit trail at a million events: first pages (API, HTML) and a streamed CSV export."

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=1_000_000)
        parser.add_argument("--rounds", type=int, default=15)
        parser.add_argument("--warmup", type=int, default=3)
        parser.add_argument("--export", type=int, default=100_000, help="rows of the large CSV export")
        parser.add_argument("--small-export", type=int, default=10_000, help="rows of the small CSV export")
        parser.add_argument("--keep", action="store_true", help="reuse the events already there if enough")
        parser.add_argument("--create-database", action="store_true", help="create DATABASE_URL's database, only")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench-audit measures PostgreSQL: point DATABASE_URL at a PostgreSQL database.")
        if options["create_database"]:
            return self.create_database()
        if settings.DEBUG:
            raise CommandError("Run with DEBUG=false: in debug, Django keeps every query in memory.")
        self.rng = random.Random(12)  # the same spread every run
        teams = self.teams()
        if not (options["keep"] and AuditEvent.objects.count() >= options["events"]):
            self.fill(options["events"], teams)
        admin, owner, owned = self.users(teams)
        cases = self.cases(owned)
        self.stdout.write(f"\n{AuditEvent.objects.count():,} audit events; {options['rounds']} rounds after warm-up\n")
        self.explain(cases)
        self.first_pages(cases, admin, owner, options)
        self.exports(admin, (options["small_export"], options["export"]))

    # --- the data ----------------------------------------------------------------

    def create_database(self) -> None:
        """The bench's own database, if missing (before `migrate` can connect to it)."""
        params = connection.get_connection_params() | {"dbname": "postgres", "autocommit": True}
        name = settings.DATABASES["default"]["NAME"]
        with psycopg.connect(**params) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                self.stdout.write(f"Created database {name}")

    def teams(self):
        team_model = AuditEvent._meta.get_field("team").related_model
        teams = []
        for i in range(TEAMS):
            team, _ = team_model.objects.get_or_create(slug=f"team-{i:02d}", defaults={"name": f"Team {i:02d}"})
            teams.append(team)
        return teams

    def users(self, teams):
        users = get_user_model().objects
        admin = users.filter(username="bench-admin").first() or users.create_user("bench-admin", is_staff=True)
        owner = users.filter(username="bench-owner").first() or users.create_user("bench-owner")
        membership = apps.get_model("rbac", "Membership")
        owned = teams[:2]  # an owner of two of the forty teams
        for team in owned:
            membership.objects.get_or_create(team=team, user=owner, defaults={"role": "owner"})
        return admin, owner, owned

    def fill(self, count: int, teams) -> None:
        started = time.perf_counter()
        table = AuditEvent._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table} RESTART IDENTITY")
            # Indexes are built once after the COPY (much faster than row by row), as a restore would.
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT LIKE %s",
                [table, "%pkey"],
            )
            indexes = cursor.fetchall()
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        rng = self.rng
        # Busy actors and teams are much busier than the rest (a Zipf-like spread).
        actor_weights = [1 / (i + 1) for i in range(ACTORS)]
        actors = [f"user-{i:03d}" for i in range(ACTORS)]
        team_weights = [1 / (i + 1) ** 0.7 for i in range(TEAMS)] + [4.0]  # and platform events
        team_choices = [*teams, None]
        actions = [(kind, f"{kind.lower()}.{verb}") for kind, verbs in KINDS.items() for verb in verbs]
        results, result_weights = zip(*RESULTS, strict=True)
        channels, channel_weights = zip(*CHANNELS, strict=True)
        end = timezone.now()
        step = timedelta(days=365) / count
        batch = 50_000
        with connection.cursor() as cursor:
            for first in range(0, count, batch):
                size = min(batch, count - first)
                rows = io.StringIO()
                for actor, team, (kind, action), result, channel, i in zip(
                    rng.choices(actors, actor_weights, k=size),
                    rng.choices(team_choices, team_weights, k=size),
                    rng.choices(actions, k=size),
                    rng.choices(results, result_weights, k=size),
                    rng.choices(channels, channel_weights, k=size),
                    range(first, first + size),
                    strict=True,
                ):
                    created = end - step * (count - i)  # ids grow with time, as in a real trail
                    namespace = f"{team.slug}-{('dev', 'stage', 'prod')[i % 3]}" if team else ""
                    summary = orjson.dumps({"replicas": i % 7} if kind == "Deployment" else {}).decode()
                    rows.write(
                        "\t".join(
                            (
                                created.isoformat(),
                                actor,
                                channel,
                                action,
                                str(team.pk) if team else r"\N",
                                CLUSTERS[i % len(CLUSTERS)],
                                namespace,
                                kind,
                                f"{kind.lower()}-{i % 5000}",
                                summary,
                                result,
                                str(STATUS[result]),
                                str(rng.randint(5, 900)),
                                f"10.0.{i % 250}.{i % 200 + 1}",
                            )
                        )
                        + "\n"
                    )
                copy_sql = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"
                with cursor.cursor.copy(copy_sql) as copy:
                    copy.write(rows.getvalue())
            copied = time.perf_counter() - started
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                cursor.execute(definition)
            cursor.execute(f"ANALYZE {table}")
        took = time.perf_counter() - started
        self.stdout.write(f"Filled {count:,} events in {took:.1f} s (COPY {copied:.1f} s, {len(indexes)} indexes)")

    # --- what is measured --------------------------------------------------------

    def cases(self, owned) -> dict[str, str]:
        until = (timezone.now() - timedelta(days=30)).date().isoformat()
        since = (timezone.now() - timedelta(days=37)).date().isoformat()
        return {
            "no filter": "",
            "result=refused": "result=refused",
            "actor (a quiet one)": "actor=user-250",
            "team + action prefix": f"team={owned[0].slug}&action=deployment.",
            "cluster + kind": "cluster=edge-2&kind=Secret",
            "channel + time range": f"channel=token&since={since}T00:00:00Z&until={until}T00:00:00Z",
            "free text": "q=cronjob.trig",
        }

    def explain(self, cases) -> None:
        self.stdout.write("\nPlans (first page, admin):")
        for name, query in cases.items():
            params = dict(part.split("=", 1) for part in query.split("&") if part)
            filterset = AuditEventFilterSet(params, queryset=AuditEvent.objects.all())
            assert filterset.is_valid(), filterset.errors
            plan = filterset.qs.order_by("-created", "-id")[:51].explain(analyze=True)
            lines = [line.strip().removeprefix("->").strip() for line in plan.splitlines()]
            scans = [line.split("  (")[0] for line in lines if "Scan" in line.split("  (")[0]]
            took = next((line for line in lines if line.startswith("Execution Time")), "")
            self.stdout.write(f"  {name:<24} {took}\n      {'; '.join(scans)}")

    def timed(self, client, url, rounds, warmup) -> tuple[float, float, int]:
        for _ in range(warmup):
            response = client.get(url)
            if response.status_code != 200:
                raise CommandError(f"{url}: HTTP {response.status_code} {response.content[:300]!r}")
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - started) * 1000)
        return *percentiles(samples), len(response.content)

    def first_pages(self, cases, admin, owner, options) -> None:
        rounds, warmup = options["rounds"], options["warmup"]
        self.stdout.write("\nFirst page, 50 events (ms, median / p95):")
        self.stdout.write(f"  {'filter':<24} {'user':<6} {'API':>15} {'HTML':>15}")
        for user, label in ((admin, "admin"), (owner, "owner")):
            client = Client(SERVER_NAME="localhost")  # an allowed host
            client.force_login(user)
            for name, query in cases.items():
                api = self.timed(client, f"/api/v1/audit-events/?{query}", rounds, warmup)
                page = self.timed(client, f"/audit/?{query}", rounds, warmup)
                self.stdout.write(
                    f"  {name:<24} {label:<6} {api[0]:>7.1f} / {api[1]:>5.1f} {page[0]:>7.1f} / {page[1]:>5.1f}"
                )

    def exports(self, admin, sizes) -> None:
        client = Client(SERVER_NAME="localhost")
        client.force_login(admin)
        self.stdout.write("\nCSV export, streamed (this process's resident memory, MiB):")
        self.stdout.write(f"  {'rows':>8} {'seconds':>8} {'MiB out':>8} {'RSS before':>11} {'peak':>7} {'growth':>7}")
        for size in sizes:
            since = AuditEvent.objects.order_by("-created", "-id").values_list("created", flat=True)[size - 1]
            url = f"/audit/export.csv?since={since.isoformat().replace('+', '%2B')}"
            for _ in range(2):  # the second run is measured: code and caches are warm
                reset_peak()
                before = memory_kib()["VmRSS"]
                started = time.perf_counter()
                response = client.get(url)
                written = lines = 0
                for chunk in response.streaming_content:
                    written += len(chunk)
                    lines += chunk.count(b"\n")
                took = time.perf_counter() - started
                peak = memory_kib()["VmHWM"]
            if lines - 1 != size:
                raise CommandError(f"export of {size} rows wrote {lines - 1}")
            self.stdout.write(
                f"  {size:>8,} {took:>8.2f} {written / 2**20:>8.1f} {before / 1024:>11.1f} "
                f"{peak / 1024:>7.1f} {(peak - before) / 1024:>7.1f}"
            )
