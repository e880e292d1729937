"""The Simplified Chinese catalog is complete, compiled, and used by every page."""

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from tests.ui.test_secrets import crawl

PO = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def po_entries(path=PO):
    """[(flags, msgctxt, msgid, msgid_plural, [msgstr...])] of a .po file, header excluded."""
    entries = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        flags, fields, key = "", {}, None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags += line
            elif line.startswith("#") or not line.strip():
                continue
            elif line.startswith('"'):
                fields[key] += ast.literal_eval(line)
            else:
                key, _space, value = line.partition(" ")
                fields[key] = ast.literal_eval(value)
        if fields.get("msgid"):
            strs = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
            entries.append((flags, fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural"), strs))
    return entries


def test_it_translates_every_message():
    entries = po_entries()
    assert len(entries) > 300
    untranslated = [msgid for _f, _c, msgid, _p, strs in entries if not all(s.strip() for s in strs)]
    fuzzy = [msgid for flags, _c, msgid, _p, _s in entries if "fuzzy" in flags]
    assert untranslated == [], "run makemessages and translate these"
    assert fuzzy == [], "review these fuzzy translations"


def test_it_keeps_the_placeholders_of_each_message():
    for _f, _c, msgid, plural, strs in po_entries():
        expected = sorted(set(re.findall(r"%\(\w+\)s", msgid + (plural or ""))))
        for msgstr in strs:
            assert sorted(set(re.findall(r"%\(\w+\)s", msgstr))) == expected, msgid


def test_the_compiled_catalog_matches_the_po_file():
    """Fails when the .mo is stale: compilemessages was not run after editing the .po."""
    stale = []
    with translation.override("zh-hans"):
        for _f, context, msgid, plural, strs in po_entries():
            if plural:
                got = (
                    translation.npgettext(context, msgid, plural, 1)
                    if context
                    else translation.ngettext(msgid, plural, 1)
                )
            else:
                got = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
            if got != strs[0]:
                stale.append(msgid)
    assert stale == [], "run: python manage.py compilemessages --ignore=.venv"


@pytest.mark.django_db
def test_it_shows_no_english_left_on_chinese_pages(world, client_as):
    """Every text the catalog translates appears in Chinese on every page."""
    english = {
        msgid
        for _f, _c, msgid, plural, strs in po_entries()
        if not plural and strs[0] != msgid and "%" not in msgid and len(msgid) > 3
    }
    client = client_as("admin")
    client.cookies["django_language"] = "zh-hans"
    pages = crawl(client, ["/", "/hosts/", "/hosts/new/", "/hosts/credentials/new/", "/tokens/", "/audit/"])
    assert len(pages) > 20
    leftovers = {}
    for url, html in pages.items():
        # The language switch names each language in itself ("English", "简体中文").
        html = re.sub(r'<form[^>]*class="langswitch".*?</form>', "", html, flags=re.S)
        # Kubernetes' own names (resource keys such as "pods") stay as they are.
        html = re.sub(r"<code>.*?</code>", "", html, flags=re.S)
        texts = set(re.findall(r">\s*([^<>]*?)\s*<", html)) | set(
            re.findall(r'(?:placeholder|aria-label)="([^"]+)"', html)
        )
        found = sorted(texts & english)
        if found:
            leftovers[url] = found
    assert leftovers == {}
    assert "仪表盘" in pages["/"]
