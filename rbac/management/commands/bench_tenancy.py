"""`make bench-tenancy`: reconcile N team namespaces on a devcluster.

Prints the time and API calls of: the first provisioning, a reconcile when
nothing drifted, and one after every namespace drifted (its quota edited
behind the portal's back). Run against a throwaway database (the make target
points DATABASE_URL at one).
"""

import time

import yaml
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from clusters import kube
from clusters.services.clusters import cluster_create
from portal.roles import TeamRole
from portal.teams import Membership, Team
from rbac import provisioning as p
from rbac.choices import NamespacePhase
from rbac.models import QuotaPlan, TeamNamespace
from rbac.reconcile import reconcile_cluster


class Command(BaseCommand):
    help = "Benchmark the team namespace reconciler on a fresh devcluster."

    def add_arguments(self, parser):
        parser.add_argument("--namespaces", type=int, default=500)
        parser.add_argument("--teams", type=int, default=50)
        parser.add_argument("--members", type=int, default=3)

    def handle(self, *args, namespaces, teams, members, **options):
        from devcluster import DevCluster

        with DevCluster.start(nodes=3) as dc:
            cluster = self._world(dc, namespaces, teams, members)
            self._run("first provisioning", cluster)
            # Quota status is computed by the controller-manager after creation;
            # let it settle so "no drift" measures a cluster at rest.
            time.sleep(5)
            calm = self._run("no drift", cluster)
            assert calm.drifted == 0, calm.applied[:5]
            self._drift_everything(cluster)
            drifted = self._run("every namespace drifted", cluster)
            self.stdout.write(f"repaired {drifted.drifted} objects; failures: {len(drifted.failed)}")

    def _world(self, dc, namespaces, teams, members):
        users = get_user_model()
        with transaction.atomic():
            cluster = cluster_create(name="Bench", slug="bench", kubeconfig=yaml.safe_dump(dc.admin_kubeconfig_dict()))
            plan = QuotaPlan.objects.create(
                name="Bench",
                slug="bench",
                requests_cpu="2",
                requests_memory="4Gi",
                pods=20,
                default_request_cpu="100m",
                default_request_memory="64Mi",
            )
            roles = [TeamRole.OWNER, TeamRole.DEVELOPER, TeamRole.VIEWER]
            team_list = []
            for t in range(teams):
                team = Team.objects.create(name=f"Team {t}", slug=f"team-{t}")
                team_list.append(team)
                for m in range(members):
                    user = users.objects.create(username=f"user-{t}-{m}")
                    Membership.objects.create(team=team, user=user, role=roles[m % len(roles)])
            TeamNamespace.objects.bulk_create(
                TeamNamespace(
                    team=team_list[i % teams],
                    cluster=cluster,
                    name=f"bench-{i:04d}",
                    plan=plan,
                    phase=NamespacePhase.PROVISIONING,
                )
                for i in range(namespaces)
            )
        self.stdout.write(f"{namespaces} namespaces, {teams} teams, {members} members each")
        return cluster

    def _run(self, label, cluster):
        started = time.monotonic()
        report = reconcile_cluster(cluster=cluster)
        seconds = time.monotonic() - started
        self.stdout.write(
            f"{label}: {seconds:.1f}s, {report.api_calls} API calls, {len(report.applied)} applied, "
            f"{len(report.deleted)} deleted, {len(report.failed)} failed"
        )
        return report

    def _drift_everything(self, cluster):
        started = time.monotonic()
        with kube.client_for(cluster) as client:
            for tn in TeamNamespace.objects.filter(cluster=cluster):
                client.core.patch_namespaced_resource_quota(p.QUOTA_NAME, tn.name, {"spec": {"hard": {"pods": "999"}}})
        self.stdout.write(f"(edited every quota behind the portal's back in {time.monotonic() - started:.1f}s)")
