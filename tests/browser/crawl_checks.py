"""What the crawl checks on every page it opens (tests/browser/test_crawl.py).

Each check answers findings, (page, check, detail), so one run reports every
page that fails and why, instead of stopping at the first.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.utils import translation

WIDTHS = (1440, 390)
HEIGHT = 900

# Words that stay as they are in Chinese: acronyms, product and tool names. Names
# of things (users, teams, clusters, namespaces, plans, objects) are taken from
# the database by the crawl, Kubernetes kinds from the registry of kinds.
TECHNICAL_TERMS = {
    "api",
    "calico",
    "containerd",
    "cron",
    "flannel",
    "kubeadm",
    "kubelet",
    "root",
    "sudo",
    "swap",
    "ca",
    "cidr",
    "cpu",
    "csv",
    "dns",
    "http",
    "https",
    "id",
    "ip",
    "json",
    "jsonl",
    "kubeconfig",
    "kubectl",
    "kubernetes",
    "ms",
    "openapi",
    "rbac",
    "redoc",
    "sha",
    "ssh",
    "swagger",
    "tls",
    "url",
    "utc",
    "yaml",
}
# A column or a term of these names shows a state: its value must be a badge
# (portal/templatetags/status.py renders them as an element of class "badge").
STATE_HEADINGS = ("Phase", "Status", "State", "Health")


@dataclass(frozen=True)
class Finding:
    page: str
    check: str
    detail: str

    def __str__(self):
        return f"{self.page}  [{self.check}]  {self.detail}"


def state_headings() -> set[str]:
    """The state headings as people read them, in English and in Chinese."""
    headings = {h.lower() for h in STATE_HEADINGS}
    with translation.override("zh-hans"):
        headings |= {translation.gettext(h).lower() for h in STATE_HEADINGS}
    return headings


def other_origin(url: str, base: str) -> bool:
    return url.startswith(("http:", "https:", "ws:", "wss:")) and urlsplit(url)[:2] != urlsplit(base)[:2]


# --- in the page -------------------------------------------------------------------

OVERFLOWING = """(width) => {
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + [...el.classList].map((c) => '.' + c).join('');
  const clipped = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(a).overflowX)) return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    const parent = el.parentElement.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1 && parent.right <= width + 1 && !clipped(el)) {
      out.push(describe(el) + ' to ' + Math.round(r.right) + 'px');
    }
  }
  return out.slice(0, 4);
}"""

# Text people read (hidden until opened included), without code, the language
# switch, and what says it is not to be translated (translate="no"); the
# attributes people read (placeholder, aria-label, title) too.
TEXTS = """() => {
  const skip = 'script,style,code,pre,kbd,samp,textarea,svg,[translate=no],.langswitch';
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    if (!text || node.parentElement.closest(skip)) continue;
    texts.push(text);
  }
  for (const el of document.body.querySelectorAll('[placeholder],[aria-label],[title]')) {
    if (el.closest(skip)) continue;
    for (const a of ['placeholder', 'aria-label', 'title']) {
      const v = el.getAttribute(a);
      if (v && v.trim()) texts.push(v.trim());
    }
  }
  return texts;
}"""

# Cells of a state column, and terms of a state in a description list, without
# a badge: [where, heading, text].
UNBADGED = """(headings) => {
  const wanted = new Set(headings);
  // textContent: a table in a closed <details> is not rendered, innerText reads it as empty.
  const txt = (el) => el.textContent.replace(/\\s+/g, ' ').trim();
  const bare = (el) => {
    const text = txt(el);
    return text && !/^[-—–]+$/.test(text) && !el.querySelector('.badge') && !el.classList.contains('badge');
  };
  const out = [];
  for (const table of document.querySelectorAll('table')) {
    const heads = [...table.querySelectorAll('thead th')].map((th) => txt(th).toLowerCase());
    heads.forEach((head, index) => {
      if (!wanted.has(head)) return;
      for (const row of table.querySelectorAll('tbody tr')) {
        const cell = row.children[index];
        if (cell && bare(cell)) {
          out.push([txt(row.children[0] || row).slice(0, 40), head, txt(cell).slice(0, 60)]);
        }
      }
    });
  }
  for (const dt of document.querySelectorAll('dt')) {
    const head = txt(dt).replace(/[:：]$/, '').toLowerCase();
    const dd = dt.nextElementSibling;
    if (wanted.has(head) && dd && dd.tagName === 'DD' && bare(dd)) {
      out.push(['', head, txt(dd).slice(0, 60)]);
    }
  }
  return out;
}"""


def overflow(page, url) -> list[Finding]:
    """Horizontal overflow at each width: the document wider than the viewport."""
    findings = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            culprits = ", ".join(page.evaluate(OVERFLOWING, width)) or "no single element"
            findings.append(Finding(url, f"overflow at {width}px", f"{scroll_width}px wide: {culprits}"))
    page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
    return findings


def unbadged(page, url, headings) -> list[Finding]:
    return [
        Finding(url, "status without badge", f"{heading} of {row!r}: {text!r}" if row else f"{heading}: {text!r}")
        for row, heading, text in page.evaluate(UNBADGED, sorted(headings))
    ]


# A token with a digit, a dot, a slash... or a dash inside is an identifier, not
# a word (team-a-dev, 10.0.0.1, 4Gi, app=web); so are the API's CamelCase names
# (ConfigMap, ContainersReady, managedFields) and acronyms in capitals (TCP).
IDENTIFIER = re.compile(r"[\d_./:=@#$%{}\[\]<>]|\w-\w|^[a-z]+[A-Z]|^[A-Z][a-z]+[A-Z]|^[A-Z]{2,}s?$")
WORD = re.compile(r"[A-Za-z][A-Za-z']*")


def english_words(text: str, names, allowed) -> list[str]:
    """The English words of a text, outside names, identifiers (anything with a
    digit, a dot, a slash... or a dash inside), single letters and `allowed`."""
    for name in names:  # whole names only: "dev" is a name, "developer" still a word
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", " ", text)
    words = []
    for token in re.split(r"[\s\u3000-\u303f\uff00-\uffef\u4e00-\u9fff,;()\"“”‘’!?·…|—–]+", text):
        token = token.strip("'-")
        if not token or IDENTIFIER.search(token):
            continue
        words += [w for w in WORD.findall(token) if len(w) > 1 and w.lower() not in allowed]
    return words


# Names the page shows as names: rows named by data-name, links named like the
# object or place in their address (`dev:default`), options whose label is
# their value (a namespace, a role). textContent, not innerText: a closed
# switcher's links are not rendered, and innerText reads them as empty.
PAGE_NAMES = """() => [
  ...[...document.querySelectorAll('[data-name]')].map((el) => el.dataset.name),
  ...[...document.querySelectorAll('a[href]')].filter((a) => {
    const text = a.textContent.trim();
    return a.getAttribute('href').split(/[?#]/)[0].split('/').map(decodeURIComponent)
      .some((part) => part === text || part.endsWith(':' + text));
  }).map((a) => a.textContent.trim()),
  ...[...document.querySelectorAll('option')].filter((o) => {
    const label = o.textContent.trim();
    return o.value === label || o.value.endsWith(':' + label) || o.value.endsWith('/' + label);
  }).map((o) => o.textContent.trim()),
].filter((name) => name.length > 1)"""


def english_left(page, url, names, allowed) -> list[Finding]:
    """English words in the page's text, one finding per text. Text marked
    translate="no" (HTML's own marker) is what the cluster said, as it said it."""
    findings = []
    names = sorted(set(names) | set(page.evaluate(PAGE_NAMES)), key=len, reverse=True)
    for text in dict.fromkeys(page.evaluate(TEXTS)):
        words = english_words(text, names, allowed)
        if words:
            findings.append(Finding(url, "English on a Chinese page", f"{text[:80]!r}"))
    return findings
