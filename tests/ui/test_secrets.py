"""No page ever renders a secret: kubeconfigs, private keys, passphrases, passwords.

Secrets enter through the forms (so the audit trail has their requests too),
then every page reachable from the navigation is crawled and searched.
"""

import re
from html import unescape
from urllib.parse import urljoin, urlparse

import pytest

from tests.support.credentials import ssh_private_key
from tests.ui.conftest import KUBECONFIG_TOKEN, kubeconfig

pytestmark = pytest.mark.django_db

PASSWORD = "ssh-password-5e1b7c0a"
PASSPHRASE = "key-passphrase-2d9f4e77"
# Pages with side effects or outside the portal's HTML are not crawled.
SKIP = ("/accounts/logout/", "/i18n/", "/static/", "/api/docs/", "/api/redoc/", "/api/schema/", "/admin/logout/")
MAX_PAGES = 400


def crawl(client, start_pages, downloads=None):
    """Every page reachable from `start_pages` by links, as {url: html}. Each
    answers 200 with a whole page: a page that redirects or is missing would
    be a page not checked at all (and a link the user may not follow).
    Downloads linked from them (the audit exports) go to `downloads`, read whole."""
    seen, queue, pages = set(), list(start_pages), {}
    downloads = {} if downloads is None else downloads
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen or url.startswith(SKIP) or "/delete/" in url and "/admin/" in url:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.get("Location"))
        if response.streaming:  # a download (the audit export), not a page: read whole, not crawled
            downloads[url] = b"".join(response.streaming_content).decode()
            continue
        text = response.content.decode()
        assert "</html>" in text, f"{url} answered 200 without a page"
        pages[url] = text
        for href in re.findall(r'href="([^"#]+)"', text):
            target = urljoin(url, unescape(href))
            parsed = urlparse(target)
            if not parsed.netloc and parsed.path.startswith("/"):
                queue.append(parsed.path + (f"?{parsed.query}" if parsed.query else ""))
    return pages


@pytest.fixture
def secrets(world, client_as):
    """Secrets entered through the pages; returns the strings no page may contain."""
    from clusters.services.clusters import cluster_create

    client = client_as("admin")
    key = ssh_private_key(PASSPHRASE)
    # A stored kubeconfig (an import needs a reachable cluster: tests/ui/test_clusters.py).
    cluster_create(name="Edge", slug="edge", kubeconfig=kubeconfig())
    steps = [
        # Refused imports and rotations (the cluster does not answer) must not echo the kubeconfig.
        ("/clusters/new/", {"name": "Edge 2", "slug": "edge-2", "kubeconfig": kubeconfig()}),
        ("/clusters/prod/credentials/", {"kubeconfig": kubeconfig()}),
        ("/clusters/edge/edit/", {"name": "Edge", "slug": "edge", "kubeconfig": kubeconfig()}),
        (
            "/hosts/credentials/new/",
            {"name": "key", "kind": "private_key", "private_key": key, "passphrase": PASSPHRASE},
        ),
        ("/hosts/credentials/new/", {"name": "pw", "kind": "password", "password": PASSWORD}),
        # Refused input must not echo the secret either (and leaves an audit row).
        ("/clusters/new/", {"name": "Bad", "slug": "bad", "kubeconfig": kubeconfig(server="http://x")}),
        ("/hosts/credentials/new/", {"name": "bad", "kind": "private_key", "private_key": key, "passphrase": "no"}),
    ]
    for url, data in steps:
        response = client.post(url, data)
        assert response.status_code in (302, 400), (url, response.status_code)
        assert KUBECONFIG_TOKEN not in response.content.decode()
    from hosts.models import SSHCredential
    from hosts.services import host_create

    host_create(name="node-a", address="127.0.0.2", credential=SSHCredential.objects.get(name="key"))
    key_lines = [line for line in key.splitlines() if line and not line.startswith("-----")]
    return [KUBECONFIG_TOKEN, PASSWORD, PASSPHRASE, *key_lines]


def _assert_clean(pages, secrets):
    assert len(pages) > 15
    for url, text in pages.items():
        for secret in secrets:
            assert secret not in text, f"a secret is rendered on {url}"


def test_it_never_renders_a_secret_to_an_admin(world, client_as, secrets):
    from clusters.models import Cluster
    from hosts.models import SSHCredential

    # The Django admin's change pages are for superusers (a platform admin is staff).
    world.admin.is_superuser = True
    world.admin.save()
    admin_pages = [f"/admin/clusters/cluster/{c.pk}/change/" for c in Cluster.objects.all()] + [
        f"/admin/hosts/sshcredential/{c.pk}/change/" for c in SSHCredential.objects.all()
    ]
    downloads = {}
    pages = crawl(client_as("admin"), ["/", "/audit/", "/hosts/", "/hosts/credentials/", *admin_pages], downloads)
    assert "/clusters/edge/edit/" in pages and any(url.startswith("/hosts/credentials/") for url in pages)
    assert "/audit/" in pages and "cluster.create" in pages["/audit/"]
    assert any("cluster.create" in text for text in downloads.values()), sorted(downloads)  # the audit exports
    _assert_clean(pages | downloads, secrets)


def test_it_never_renders_a_secret_to_a_team_owner(world, client_as, secrets):
    pages = crawl(client_as("owner"), ["/", "/audit/"])
    assert "/clusters/prod/" in pages
    _assert_clean(pages, secrets)


def test_the_crawl_would_notice_a_secret(world, client_as, secrets):
    """The check itself can fail: a page that shows a secret is caught."""
    from clusters.models import Cluster

    Cluster.objects.filter(slug="edge").update(description=KUBECONFIG_TOKEN)
    pages = crawl(client_as("admin"), ["/"])
    with pytest.raises(AssertionError, match="a secret is rendered on /clusters/edge/"):
        _assert_clean(pages, secrets)
