"""The crawl's checks fail when they should: each is shown a page with the fault
it looks for, and a page without it (tests/browser/crawl_checks.py)."""

import pytest

from tests.browser import crawl_checks as checks

pytestmark = [pytest.mark.browser]

FAULTY = """<!doctype html><html lang="zh-hans"><body>
<h1>集群</h1>
<table><thead><tr><th>名称</th><th>Phase</th></tr></thead>
<tbody><tr><td>dev</td><td>Ready</td></tr><tr><td>prod</td><td><span class="badge">就绪</span></td></tr></tbody></table>
<dl><dt>Health</dt><dd>Degraded</dd></dl>
<p>Team A 的 namespace <code>kube-system</code> Last checked</p>
<div style="width: 600px">wide</div>
<details><summary>更多</summary><dl><dt>State</dt><dd>Waiting</dd></dl></details>
</body></html>"""

CLEAN = """<!doctype html><html lang="zh-hans"><body>
<h1>集群</h1>
<table><thead><tr><th>名称</th><th>Phase</th></tr></thead>
<tbody><tr><td>dev</td><td><span class="badge">就绪</span></td></tr><tr><td>prod</td><td>—</td></tr></tbody></table>
<p>Team A 的 Kubernetes API：<code>Last checked</code> team-a-dev 10.0.0.1 4Gi</p>
<details><summary>命名空间</summary><a href="/workloads/namespaces/dev:default/pods/">default</a></details>
</body></html>"""

NAMES = ["Team A", "prod", "dev"]


@pytest.fixture
def blank(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_each_check_finds_its_fault(blank):
    blank.set_content(FAULTY)
    overflow = checks.overflow(blank, "/x/")
    assert [(f.check, f.detail) for f in overflow] == [("overflow at 390px", "608px wide: div to 608px")]
    unbadged = checks.unbadged(blank, "/x/", checks.state_headings())
    assert [f.detail for f in unbadged] == ["phase of 'dev': 'Ready'", "health: 'Degraded'", "state: 'Waiting'"]
    english = checks.english_left(blank, "/x/", NAMES, checks.TECHNICAL_TERMS)
    assert [f.detail for f in english] == [
        "'Phase'",
        "'Ready'",
        "'Health'",
        "'Degraded'",
        "'Team A 的 namespace'",
        "'Last checked'",
        "'wide'",
        "'State'",
        "'Waiting'",
    ]


def test_a_page_without_faults_passes(blank):
    blank.set_content(CLEAN)
    assert checks.overflow(blank, "/x/") == []
    assert checks.unbadged(blank, "/x/", checks.state_headings()) == []
    english = checks.english_left(blank, "/x/", NAMES, checks.TECHNICAL_TERMS)
    assert [f.detail for f in english] == ["'Phase'"]


def test_a_request_elsewhere_is_another_origin():
    assert checks.other_origin("https://cdn.redoc.ly/redoc/logo-mini.svg", "http://localhost:8000")
    assert checks.other_origin("http://localhost:8001/x", "http://localhost:8000")
    assert not checks.other_origin("http://localhost:8000/static/x.css", "http://localhost:8000")
    assert not checks.other_origin("data:,", "http://localhost:8000")
