"""Simplified Chinese is complete: the catalogue has no untranslated or fuzzy entry and covers every msgid in the
code, and no page — walked from the URL resolver, as each demo role, with real object ids — shows English."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from allocations.models import AllocationLine, GroupBreakdown, IssuanceBatch, NationalPlan
from enforcement.models import Case, Flag, JobRun
from organizations.models import Enterprise
from organizations.selectors import enterprise_q
from reporting.models import AnnualReport, Attachment, MonthlyReport, Product

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# One user of each kind of dashboard and scope: anonymous, ministry (drafter, approver), county reviewer,
# city viewer, enterprise filer, group manager.
ROLES = [None, "miit_official", "miit_approver", "jiuyuan_reviewer", "baotou_viewer", "huamei_filer",
         "north_manager"]
SKIP_PREFIXES = ("admin/", "api/", "i18n/", "jsi18n/", "logout/")
# Words that are the same in both languages (codes, units, product codes, standards, brand names).
ALLOWED = {"REO", "API", "PDF", "JPEG", "PNG", "Excel", "ISO", "GB", "CNY", "Chart.js", "htmx", "OpenAPI", "ReDoc",
           "Swagger", "Idempotency-Key", "TOTP", "English", "Quota-demo"}


# --- the catalogue ------------------------------------------------------------------------------------

def _parse_po(path: Path) -> list[dict]:
    entries, cur, field = [], None, None

    def unq(s):
        return s.strip()[1:-1].encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")

    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if cur:
                entries.append(cur)
            cur = None
            continue
        if cur is None:
            cur = {"flags": "", "msgid": "", "plural": None, "msgstr": [], "obsolete": False}
        if line.startswith("#~"):
            cur["obsolete"] = True
        elif line.startswith("#,"):
            cur["flags"] += line
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid_plural "):
            field, cur["plural"] = "plural", unq(line[13:])
        elif line.startswith("msgid "):
            field, cur["msgid"] = "msgid", unq(line[6:])
        elif line.startswith("msgstr"):
            field = "msgstr"
            cur["msgstr"].append(unq(line.split(" ", 1)[1]))
        elif line.startswith('"'):
            if field == "msgstr":
                cur["msgstr"][-1] += unq(line)
            elif field == "plural":
                cur["plural"] += unq(line)
            else:
                cur["msgid"] += unq(line)
    return [e for e in entries if e["msgid"] and not e["obsolete"]]


def _catalogue() -> list[dict]:
    return _parse_po(PO)


def test_catalogue_has_no_untranslated_or_fuzzy_entry():
    entries = _catalogue()
    assert len(entries) > 500
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"]) or not e["msgstr"]]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not untranslated, f"{len(untranslated)} untranslated msgids, e.g. {untranslated[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy msgids, e.g. {fuzzy[:10]}"
    if shutil.which("msgfmt"):
        out = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(PO)],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert "untranslated" not in out.stderr and "fuzzy" not in out.stderr, out.stderr


@pytest.mark.skipif(not shutil.which("xgettext"), reason="gettext tools not installed (make messages installs them)")
def test_catalogue_covers_every_msgid_in_the_code(tmp_path, settings, monkeypatch):
    """makemessages into a copy of the catalogue: nothing new may appear (run `make i18n` and translate if so)."""
    target = tmp_path / "zh_Hans" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(PO, target / "django.po")
    settings.LOCALE_PATHS = [tmp_path]
    monkeypatch.chdir(settings.BASE_DIR)
    call_command("makemessages", locale=["zh_Hans"], ignore_patterns=[".venv", "staticfiles", "tests", "media"],
                 no_obsolete=True, verbosity=0)
    fresh = _parse_po(target / "django.po")
    missing = [e["msgid"] for e in fresh if not e["msgstr"] or not all(e["msgstr"]) or "fuzzy" in e["flags"]]
    assert not missing, f"{len(missing)} msgids in the code are not translated, e.g. {missing[:15]}"


# --- the pages ----------------------------------------------------------------------------------------

class _Text(HTMLParser):
    SKIP = {"script", "style", "template"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0
        self._skip_tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        # raw data the page shows as such: JSON snapshots, elements marked translate="no"
        if tag in self.SKIP or a.get("translate") == "no" or "json" in (a.get("class") or "").split():
            self._skip += 1
            self._skip_tags.append(tag)
            return
        for name, value in attrs:
            if name in ("placeholder", "title", "aria-label", "alt") and value:
                self.parts.append(value)
            if name == "value" and tag in ("input",) and dict(attrs).get("type") in ("submit", "button") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if self._skip_tags and tag == self._skip_tags[-1]:
            self._skip_tags.pop()
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def page_text(html: str) -> str:
    p = _Text()
    p.feed(html)
    return "\n".join(p.parts)


ENGLISH_RUN = re.compile(r"\b[A-Za-z][a-z]{2,}(?:[ ,’'-]+[a-z]{2,})+\b")


def english_leftovers(text: str, msgids: list[str], data_words: set[str], data_texts: str = "") -> list[str]:
    """English UI text on a page: catalogue msgids shown verbatim, and runs of English words that are neither
    codes/brand names nor part of stored data (what users typed or seeded is shown as it was entered)."""
    found = []
    for msgid in msgids:
        if msgid in text and msgid not in data_texts:
            found.append(msgid)
    for m in ENGLISH_RUN.finditer(text):
        phrase = m.group(0)
        if any(w in ALLOWED or w in data_words for w in re.split(r"[ ,’'-]+", phrase)):
            continue
        if phrase in data_texts:
            continue
        found.append(phrase)
    return sorted(set(found))


def _stored_texts() -> str:
    """Every free-text value stored by the portal's apps (names, notes, legal bases, comments…)."""
    chunks = []
    for label in ("organizations", "allocations", "reporting", "enforcement"):
        for model in apps.get_app_config(label).get_models():
            fields = [f.name for f in model._meta.get_fields()
                      if isinstance(f, models.CharField | models.TextField) and not f.choices]
            if fields:
                for row in model.objects.values_list(*fields):
                    chunks.extend(v for v in row if v and re.search(r"[A-Za-z]{3}", v))
    return "\n".join(chunks)


def _patterns(resolver: URLResolver | None = None, prefix: str = "", ns: str = ""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            sub_ns = f"{ns}{p.namespace}:" if p.namespace else ns
            yield from _patterns(p, route, sub_ns)
        elif isinstance(p, URLPattern) and p.name:
            yield route, ns + p.name, list(p.pattern.converters.keys()) if hasattr(p.pattern, "converters") else []


def _candidates(name: str, user) -> dict[str, list]:
    """Real ids for a URL's parameters, in the user's scope first."""
    def ids(qs, field=None, n=2):
        scoped = list(qs.filter(enterprise_q(user, field)).order_by("-pk").values_list("pk", flat=True)[:n]) \
            if (field is not None and user is not None) else []
        rest = list(qs.order_by("-pk").values_list("pk", flat=True)[:n])
        return list(dict.fromkeys(scoped + rest))

    table = [
        ("allocations:plan", lambda: ids(NationalPlan.objects.all())),
        ("allocations:batch", lambda: ids(IssuanceBatch.objects.all())),
        ("allocations:breakdown-detail", lambda: ids(GroupBreakdown.objects.all())),
        ("reporting:attachment", lambda: ids(Attachment.objects.all(), "report__enterprise")),
        ("reporting:annual-detail", lambda: ids(AnnualReport.objects.all(), "enterprise")),
        ("enforcement:decision", lambda: ids(Case.objects.filter(penalties__status="approved"), "enterprise")),
        ("reporting:", lambda: ids(MonthlyReport.objects.filter(is_current=True), "enterprise")),
        ("enforcement:flag", lambda: ids(Flag.objects.all(), "enterprise")),
        ("enforcement:case", lambda: ids(Case.objects.all(), "enterprise")),
        ("enforcement:job", lambda: ids(JobRun.objects.all())),
        ("enterprise-detail", lambda: ids(Enterprise.objects.all(), "")),
    ]
    out: dict[str, list] = {}
    for prefix, fn in table:
        if name.startswith(prefix):
            out["pk"] = fn()
            break
    out["line_pk"] = list(AllocationLine.objects.filter(group__isnull=False).order_by("pk")
                          .values_list("pk", flat=True)[:2])
    out["section"] = ["production", "inputs", "shipments", "inventory"]
    return out


def _urls_for(route: str, name: str, params: list[str], user) -> list[str]:
    if not params:
        return [reverse(name)]
    if any(p in ("verb", "action") for p in params):
        return []  # state-changing POST endpoints
    cands = _candidates(name, user)
    urls = []
    pks = cands.get("pk") or [None]
    for pk in pks[:2]:
        kwargs = {}
        for p in params:
            values = cands.get(p) or ([pk] if p == "pk" else [])
            if p == "pk":
                values = [pk]
            if not values or values[0] is None:
                break
            kwargs[p] = values[0]
        else:
            urls.append(reverse(name, kwargs=kwargs))
    return urls


LATIN_WORD = re.compile(r"(?<![A-Za-z0-9_.-])[A-Za-z][A-Za-z0-9_.-]*[A-Za-z0-9]")
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10}$")
# Names shown as themselves in any language: the language switch offers "English" in English.
SAME_IN_EVERY_LANGUAGE = {"English", "Excel"}


def latin_words(text: str, codes: set[str]) -> list[str]:
    """Latin words of four letters or more on a zh-Hans page, except product codes and credit codes."""
    found = set()
    for m in LATIN_WORD.finditer(text):
        word = m.group(0)
        if sum(c.isalpha() for c in word) < 4 and not re.search(r"[A-Za-z]{4}", word):
            continue
        if not re.search(r"[A-Za-z]{4}", word):
            continue
        if word in codes or word in SAME_IN_EVERY_LANGUAGE or CREDIT_CODE.match(word):
            continue
        found.add(word)
    return sorted(found)


def walk_pages_in_chinese() -> tuple[int, list[str], dict[str, list[str]]]:
    """Every page of every role (from the URL resolver, with real ids): (pages seen, 5xx answers, Latin words
    per page). Also run on SQLite by `make test` (the database of `make run`)."""

    codes = set(Product.objects.values_list("code", flat=True))
    problems: dict[str, list[str]] = {}
    errors: list[str] = []
    visited = 0
    patterns = [(r, n, p) for r, n, p in _patterns() if not r.startswith(SKIP_PREFIXES)]
    assert len(patterns) > 30
    for username in ROLES:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        user = None
        if username:
            user = get_user_model().objects.get(username=username)
            client.force_login(user)
        for route, name, params in patterns:
            for url in _urls_for(route, name, params, user):
                resp = client.get(url)
                if resp.status_code >= 500:
                    errors.append(f"{username}: GET {url} → {resp.status_code}")
                    continue
                if resp.status_code != 200 or not resp.get("Content-Type", "").startswith("text/html"):
                    continue
                visited += 1
                html = resp.content.decode()
                assert '<html lang="zh-hans"' in html.lower() or "<html" not in html, url
                bad = latin_words(page_text(html), codes)
                if bad:
                    problems.setdefault(f"{username}: {url}", bad)
    return visited, errors, problems


@pytest.mark.sqlite
@pytest.mark.django_db
def test_every_page_of_every_role_renders_in_chinese(demo):
    """No 500 and no Latin word of four letters or more (product codes and credit codes aside) on any page, stored
    demo data included: what the portal writes is written in the reader's language or translated at display."""
    visited, errors, problems = walk_pages_in_chinese()
    assert not errors, "\n".join(errors)
    assert visited > 100
    report = "\n".join(f"{k}: {v}" for k, v in sorted(problems.items()))
    assert not problems, f"Latin words on {len(problems)} pages in zh-Hans:\n{report}"


@pytest.mark.django_db
def test_every_demo_user_has_a_name_and_pages_show_names_not_usernames(demo):
    """Pages name people (full name; the username only for a user without one): every demo user has a name, and the
    staff page lists names."""
    users = get_user_model().objects.all()
    assert users.count() > 10
    assert not [u.username for u in users if not u.get_full_name()]
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(users.get(username="miit_approver"))
    text = page_text(client.get("/staff/").content.decode())
    assert "工信部 原材料司 审批" in text and "miit_approver" not in text
