"""No HTML page or admin page shows a stored secret, even to a platform admin."""

import pytest
from django.urls import reverse

from clusters.models import Cluster
from hosts.models import Host, SSHCredential

# The planted clusters are imported from the devcluster: an import must connect.
pytestmark = pytest.mark.devcluster


@pytest.fixture
def superuser(planted, make_user):
    user = make_user("root", staff=True)
    user.is_superuser = True
    user.save()
    return user


def _pages():
    tok = Cluster.objects.get(slug="tok")
    cert = Cluster.objects.get(slug="cert")
    host = Host.objects.get(name="node-1")
    pages = ["/clusters/", "/hosts/", "/hosts/credentials/", "/audit/", "/jobs/"]
    for cluster in (tok, cert):
        pages += [
            f"/clusters/{cluster.slug}/",
            f"/clusters/{cluster.slug}/edit/",
            f"/clusters/{cluster.slug}/credentials/",
        ]
        pages += [reverse("admin:clusters_cluster_change", args=[cluster.pk])]
        pages += [reverse("admin:clusters_cluster_delete", args=[cluster.pk])]
    for cred in SSHCredential.objects.all():
        pages += [f"/hosts/credentials/{cred.pk}/", f"/hosts/credentials/{cred.pk}/edit/"]
        pages += [reverse("admin:hosts_sshcredential_change", args=[cred.pk])]
        pages += [reverse("admin:hosts_sshcredential_history", args=[cred.pk])]
    pages += [f"/hosts/{host.pk}/", f"/hosts/{host.pk}/edit/", reverse("admin:hosts_host_change", args=[host.pk])]
    pages += [
        reverse("admin:clusters_cluster_changelist"),
        reverse("admin:hosts_sshcredential_changelist"),
        reverse("admin:portal_auditevent_changelist"),
    ]
    return pages


def test_no_page_shows_a_secret(planted, superuser, client):
    client.force_login(superuser)
    answers = {}
    for url in _pages():
        response = client.get(url)
        answers[url] = response.status_code
        if response.status_code == 200:
            body = response.content.decode()
            assert "</html>" in body, f"{url} answered 200 without a page"
            planted.assert_absent(body, f"page {url}")
    # Every page exists and renders for a superuser: a 404 or a redirect would
    # be a page not checked at all.
    assert {url: code for url, code in answers.items() if code != 200} == {}


def test_the_admin_audit_trail_shows_no_secret(planted, superuser, client):
    from portal.models import AuditEvent

    client.force_login(superuser)
    events = list(AuditEvent.objects.all()[:20])
    assert len(events) >= len(planted.responses)  # every planting request was audited
    for event in events:
        response = client.get(reverse("admin:portal_auditevent_change", args=[event.pk]))
        assert response.status_code == 200, (event.pk, response.status_code)
        planted.assert_absent(response.content.decode(), f"admin audit event {event.pk}")
