"""A crawl of every page reachable from the navigation, in a real browser.

As a platform admin and as a team developer (team A, with a ready namespace on
the devcluster holding a ConfigMap and a Deployment, and a finished job), in
English and in Chinese, from the dashboard: every same-origin link of the main
navigation, the sub-navigation and the pages they lead to, three links deep.
Logout, downloads and exports, Django's admin and anything that would change
something are not followed. Each page is checked at 1440 and 390 px wide
(tests/browser/crawl_checks.py) for: a server error, a console error, a request
to another origin, horizontal overflow, a status shown without its badge, and
on Chinese pages English words outside names and a few technical terms. The
test reports every (page, check, detail) it finds, not just the first.
"""

import re
from collections import Counter
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser import crawl_checks as checks
from tests.browser.crawl_checks import Finding

pytestmark = [pytest.mark.browser, pytest.mark.devcluster, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MAX_DEPTH = 3
MAX_PAGES = 150
# Pages of one shape (ids replaced) opened at most this often: one object's page
# stands for its kind's.
MAX_PER_SHAPE = 2
NOT_FOLLOWED = (
    re.compile(r"^/accounts/(logout|password)"),
    re.compile(r"^/admin/"),
    re.compile(r"^/i18n/"),
    re.compile(r"^/api/(v\d+|schema)/"),
    re.compile(r"export|download|kubeconfig|\.(csv|jsonl|ya?ml|json)$"),
    re.compile(r"/live/$"),
)
# The team's objects in its namespace (team_objects).
OBJECT_NAMES = ("settings", "web")
# Links that act instead of leading somewhere (htmx writes, downloads).
LINKS = """() => [...document.querySelectorAll('a[href]')]
  .filter((a) => !a.hasAttribute('download')
    && !['hx-post', 'hx-put', 'hx-patch', 'hx-delete'].some((h) => a.hasAttribute(h)))
  .map((a) => a.href)"""


# A cluster's places (`dev:<namespace>`): the devcluster is shared, other tests'
# namespaces come and go while the crawl runs; it enters its own and the system's.
PLACE = re.compile(r"^/workloads/namespaces/[\w-]+:([^/]+)/")
SYSTEM_PLACES = {"*", "default", "kube-system"}


def followed(url: str, base: str, places=SYSTEM_PLACES) -> str | None:
    """The path to open for a link, or None for one the crawl does not follow."""
    if checks.other_origin(url, base) or not url.startswith(base):
        return None
    path = urlsplit(url).path
    if any(rule.search(path) for rule in NOT_FOLLOWED):
        return None
    place = PLACE.match(path)
    return None if place and place[1] not in places else path


def shape(path: str) -> str:
    """Pages alike but for ids, or for the namespace or place they show."""
    return re.sub(r"/\d+(?=/)", "/N", re.sub(r"^/workloads/namespaces/[^/]+/", "/workloads/namespaces/P/", path))


def names_in_the_database() -> list[str]:
    """Names people gave things, which stay as they are in every language."""
    from django.contrib.auth import get_user_model

    from clusters.models import Cluster
    from hosts.models import Host, SSHCredential
    from portal.teams import Team
    from rbac.models import QuotaPlan, TeamNamespace

    names = set(get_user_model().objects.values_list("username", flat=True))
    for model in (Team, Cluster, QuotaPlan):
        names |= set(model.objects.values_list("name", flat=True)) | set(model.objects.values_list("slug", flat=True))
    for model in (TeamNamespace, Host, SSHCredential):
        names |= set(model.objects.values_list("name", flat=True))
    return sorted(names, key=len, reverse=True)


def allowed_words() -> set[str]:
    from workloads.kinds import KINDS

    kinds = {kind.kind.lower() for kind in KINDS.values()} | {kind.plural for kind in KINDS.values()}
    return checks.TECHNICAL_TERMS | kinds | {"node", "nodes", "namespace", "namespaces", "pod", "pods"}


class Crawl:
    def __init__(self, page, base: str, language: str, names=(), places=()):
        self.page, self.base, self.language = page, base, language
        self.places = SYSTEM_PLACES | set(places)
        self.findings: list[Finding] = []
        self.opened: list[str] = []
        self.current = "/"
        self.headings = checks.state_headings()
        self.names = sorted({*names_in_the_database(), *names}, key=len, reverse=True)
        self.allowed = allowed_words()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self._found("console error", str(error)[:200]))
        page.context.on("request", self._request)

    def _found(self, check, detail):
        self.findings.append(Finding(self.current, check, detail))

    def _console(self, message):
        if message.type == "error":
            self._found("console error", message.text[:200])

    def _request(self, request):
        if checks.other_origin(request.url, self.base):
            self._found("request to another origin", request.url)

    def run(self, start="/"):
        queue, seen, shapes = [(start, 0)], {start}, Counter()
        while queue and len(self.opened) < MAX_PAGES:
            path, depth = queue.pop(0)
            if shapes[shape(path)] >= MAX_PER_SHAPE:
                continue
            shapes[shape(path)] += 1
            links = self.open(path)
            if depth < MAX_DEPTH:
                for link in links:
                    target = followed(urljoin(self.base, link), self.base, self.places)
                    if target and target not in seen:
                        seen.add(target)
                        queue.append((target, depth + 1))
        if queue:
            unopened = len([path for path, _depth in queue if shapes[shape(path)] < MAX_PER_SHAPE])
            if unopened:
                self.findings.append(Finding("(the crawl)", "page limit", f"{MAX_PAGES} pages opened, {unopened} not"))
        return self

    def open(self, path) -> list[str]:
        self.current = path
        self.opened.append(path)
        response = self.page.goto(path)
        if response is None or response.status >= 500:
            self._found("server error", f"status {response.status if response else 'none'}")
            return []
        try:  # pages that refresh themselves poll on; give the rest time to settle
            self.page.wait_for_load_state("networkidle", timeout=3000)
        except Exception:  # noqa: BLE001 - still polling: checked as it is
            pass
        landed = urlsplit(self.page.url).path
        if landed != path and landed.startswith("/accounts/login"):
            self._found("server error", "sent to the login page: the session was lost")
            return []
        self.findings += checks.overflow(self.page, path)
        if path.startswith("/api/"):  # the API docs speak the API's language and have no badges
            return []
        self.findings += checks.unbadged(self.page, path, self.headings)
        if self.language == "zh-hans":
            self.findings += checks.english_left(self.page, path, self.names, self.allowed)
        return self.page.evaluate(LINKS)


def report(findings: list[Finding]) -> str:
    """One line per fault: its first page, the check, the detail, and the other
    pages with the same fault (a message on every form counts once)."""
    pages: dict[tuple[str, str], list[str]] = {}
    for finding in findings:
        pages.setdefault((finding.check, finding.detail), [])
        if finding.page not in pages[(finding.check, finding.detail)]:
            pages[(finding.check, finding.detail)].append(finding.page)
    by_check = Counter(check for check, _detail in pages)
    lines = [f"{len(pages)} faults: " + ", ".join(f"{n} {check}" for check, n in by_check.most_common())]
    for (check, detail), where in sorted(pages.items(), key=lambda item: (item[1][0], item[0])):
        also = f"  (also on {len(where) - 1} more: {', '.join(where[1:4])}{', ...' if len(where) > 4 else ''})"
        lines.append(f"{where[0]}  [{check}]  {detail}{also if len(where) > 1 else ''}")
    return "\n".join(lines)


@pytest.fixture
def team_objects(world, ready_namespace):
    """What a team developer works with: a ConfigMap and a Deployment in the
    ready namespace, and a finished job of the team, titled as jobs are (a
    message id with its parameters)."""
    from django.utils.translation import gettext_noop

    from jobs.models import Job
    from jobs.services import texts
    from portal.stored_text import Message
    from workloads import services
    from workloads.kinds import KINDS

    configmap, deployment = OBJECT_NAMES
    documents = [KINDS["configmaps"].template(configmap), KINDS["deployments"].template(deployment)]
    services.live_apply(user=world.developer, namespace=ready_namespace, documents=documents)
    title = Message(gettext_noop("Drain node %(node)s"), node="devcluster-worker")
    Job.objects.create(
        kind="demo",
        title="Drain node devcluster-worker",
        i18n=texts(title=title),
        team=world.team_a,
        status="succeeded",
    )
    return ready_namespace


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("who", ["admin", "developer"])
def test_every_page_from_the_navigation_passes_every_check(
    world, team_objects, make_page, login, live_server, who, language
):
    page = make_page()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.set_viewport_size({"width": checks.WIDTHS[0], "height": checks.HEIGHT})
    login(page, getattr(world, who))
    crawl = Crawl(page, live_server.url, language, names=OBJECT_NAMES, places=[team_objects.name]).run()
    print(f"{who}/{language}: opened {len(crawl.opened)} pages:", *crawl.opened, sep="\n  ")
    # Every section of the navigation was reached, and the namespace's objects.
    assert any(p.startswith("/teams/namespaces/") for p in crawl.opened), crawl.opened
    assert any(p.startswith("/workloads/namespaces/") for p in crawl.opened), crawl.opened
    assert crawl.findings == [], f"{who}, {language}:\n" + report(crawl.findings)
