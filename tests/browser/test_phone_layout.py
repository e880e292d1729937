"""On a 390 px phone, as a platform admin, a representative page of every app
fits the screen: the page itself never scrolls sideways (wide tables scroll in
their own box) and every action button is wholly on screen."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.devcluster, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LONG = "a-rather-long-name-that-a-phone-cannot-show-on-one-line"

# The innermost elements reaching past the screen's right edge: what to fix, named in a failure.
CULPRITS = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5
    && ![...e.children].some(c => c.getBoundingClientRect().right > innerWidth + 0.5))
  .slice(0, 4).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + (e.id ? '#' + e.id : ''))"""

# Buttons and button-like links people press: in page heads, action rows and forms.
ACTIONS = ".actions a, .actions button, a.button, .formactions button, .formactions a, form button[type=submit]"


def _overflow(page) -> list[str]:
    """What on the page sticks out of a 390 px screen, described for the failure message."""
    problems = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        problems.append(f"page is {width} px wide: {page.evaluate(CULPRITS)}")
    for button in page.locator(ACTIONS).all():
        if not button.is_visible():
            continue
        box = button.bounding_box()
        if box["x"] < 0 or box["x"] + box["width"] > PHONE["width"] + 0.5:
            problems.append(f"{button.inner_text().strip()!r} at x={box['x']:.0f}..{box['x'] + box['width']:.0f}")
    return problems


@pytest.fixture
def phone_world(world, dev_cluster, ready_namespace):
    """Things with long names on every kind of page: a host, a job, a ConfigMap."""
    from hosts.services import host_create, ssh_credential_create
    from jobs.models import Job
    from workloads import services
    from workloads.kinds import KINDS

    credential = ssh_credential_create(name=f"key-{LONG}", kind="password", password="x")
    host = host_create(name=f"host-{LONG}", address="127.0.0.2", port=22, username="root", credential=credential)
    job = Job.objects.create(kind="demo", title=f"Import {LONG}", team=world.team_a, status="failed")
    services.live_apply(
        user=world.admin, namespace=ready_namespace, documents=[KINDS["configmaps"].template(f"cm-{LONG}")]
    )
    return host, job


def test_every_kind_of_page_fits_a_phone(world, page, login, dev_cluster, ready_namespace, phone_world):
    host, job = phone_world
    namespace = ready_namespace
    workloads = f"/workloads/namespaces/{namespace.pk}"
    pages = [
        "/",
        "/clusters/",
        f"/clusters/{dev_cluster.slug}/",
        "/clusters/nodes/",
        "/clusters/new/",
        "/clusters/bootstrap/",
        "/hosts/",
        "/hosts/credentials/",
        f"/hosts/{host.pk}/",
        "/jobs/",
        f"/jobs/{job.pk}/",
        "/teams/",
        "/teams/team-a/",
        "/teams/new/",
        "/teams/quota-plans/",
        "/teams/quota-plans/new/",
        f"/teams/quota-plans/{world.plan.slug}/",
        "/teams/namespaces/",
        f"/teams/namespaces/{namespace.pk}/",
        "/rbac/",
        "/rbac/who-can/",
        "/rbac/grants/new/",
        f"{workloads}/configmaps/",
        f"{workloads}/configmaps/cm-{LONG}/",
        f"{workloads}/roles/new/form/",
        "/audit/",
        "/tokens/",
    ]
    login(page, world.admin)
    page.set_viewport_size(PHONE)
    failures = {}
    for path in pages:
        response = page.goto(path)
        assert response.status == 200, (path, response.status)
        problems = _overflow(page)
        if problems:
            failures[path] = problems
    assert not failures, "\n".join(f"{path}: {problems}" for path, problems in failures.items())


def test_the_role_form_lays_its_verbs_out_compactly(world, page, login, ready_namespace):
    login(page, world.admin)
    page.set_viewport_size(PHONE)
    page.goto(f"/workloads/namespaces/{ready_namespace.pk}/roles/new/form/")
    verbs = page.locator(".verbgrid").first
    boxes = [label.bounding_box() for label in verbs.locator("label").all()]
    assert len(boxes) >= 6
    # More than one verb a row: the eight verbs take at most half the height of one per row.
    rows = {round(box["y"]) for box in boxes}
    assert len(rows) <= len(boxes) / 2, rows
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_wide_table_scrolls_in_its_own_box_and_fills_a_wide_screen(world, page, login):
    from jobs.models import Job

    Job.objects.create(kind="demo", title=f"Import {LONG}", team=world.team_a, status="failed")
    login(page, world.admin)
    page.set_viewport_size(PHONE)
    page.goto("/jobs/")
    table = page.locator("table.objects").first
    box = table.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # Its columns are wider than the screen: the table scrolls, not the page.
    assert table.evaluate("t => t.scrollWidth > t.clientWidth && getComputedStyle(t).overflowX === 'auto'")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/jobs/")
    table = page.locator("table.objects").first
    # On a wide screen it is a table again, as wide as the page's content.
    assert table.evaluate("t => getComputedStyle(t).display") == "table"
    width = table.evaluate("t => t.getBoundingClientRect().width")
    content = page.locator("main").evaluate("m => m.clientWidth - parseFloat(getComputedStyle(m).paddingLeft) * 2")
    assert abs(width - content) <= 2, (width, content)
