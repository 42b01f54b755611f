"""No page, PDF or CSV header of the demo walk shows a raw vocabulary code, in English or Chinese.

The walk signs in as each demo role, follows every GET link reachable from the navigation (the
participants', specimens', shipments', boxes' and analyses' pages among them, with an analysis
uploaded, signed and a specimen received at the central biobank first), downloads the PDFs
(text by pdftotext) and the CSVs (their header line), and searches the text people read — not
URLs or attributes — for every code of :mod:`biobank.vocabulary`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask

from biobank import vocabulary
from tests.biobank.genotyping.conftest import (
    GOOD_CRITERIA,
    demo_specimens,
    germline_stop,
    mutect2_vcf,
    receive_at_central,
    upload,
)
from tests.conftest import DEMO_PASSWORD, missing_dependency, post_form
from tests.variant_calling.conftest import VUS, Counts, mutect2
from variant_calling.known import SHIPPED_VERSION

ROLES = ("admin", "cb.tech", "pathologist", "monitor", "s01.tech", "s01.coord")
#: Pages of the same shape (numbers and barcodes aside) walked at most this often per role.
PER_SHAPE = 2
SKIP = re.compile(r"^/(static|logout|api)\b|^/favicon")
_SHAPE = re.compile(r"[A-Z0-9]*\d[A-Z0-9-]*")


VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "source", "wbr", "col", "area"})


class _Text(HTMLParser):
    """The text a reader sees (no script/style, no attributes) and the same-site links.

    ``english`` is the part inside elements that declare ``lang="en"`` (the engine's English
    evidence lines on a Chinese page): English words there are not leaked codes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.english: list[str] = []
        self.links: list[str] = []
        self._stack: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if tag in VOID:
            return
        hidden = tag in ("script", "style", "template")
        english = a.get("lang") == "en" or bool(self._stack and self._stack[-1][1])
        self._stack.append((tag, english) if not hidden else (tag, True))
        if hidden:
            self._stack[-1] = ("hidden:" + tag, True)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] in (tag, "hidden:" + tag):
                del self._stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if any(t.startswith("hidden:") for t, _e in self._stack):
            return
        english = bool(self._stack and self._stack[-1][1])
        (self.english if english else self.parts).append(data)


#: Domains of coded *values* (what a cell, an option or a detail line shows). A one-word code
#: of these (``germline``, ``panel``, ``stored``) is an ordinary English word, so it is a leak
#: only on a Chinese page. Field, column, record and event names are searched when they have
#: several words; role codes are also the demo's user names (``pathologist``, ``monitor``).
VALUE_DOMAINS = ("specimen_type", "container", "status", "assay", "classification", "origin",
                 "oncogenicity", "consequence", "men1_status", "screening_status", "file_role",
                 "shipment_status", "conditions", "damage", "package_condition", "location_kind",
                 "unit", "gate_decision")


def _codes(lang: str) -> dict[str, str]:
    """code → domain to look for: codes of several words (``germline_loh``, ``stop_gained``,
    ``specimen.receive``) are never English prose, so they are searched in both languages."""
    found: dict[str, str] = {}
    for domain, codes in vocabulary.all_codes().items():
        for code in codes:
            if vocabulary.english(domain, code) == code:
                continue  # the same in every language: mL, µg
            if re.search(r"[_.]", code) or (lang == "zh" and domain in VALUE_DOMAINS
                                            and code.isascii() and code.islower()):
                found[code] = domain
    return found


def _english_labels() -> dict[str, str]:
    """English label → domain, for labels of coded values that Chinese shows differently (a
    Chinese page showing "Cycle 1 day 1" or "Whole blood (EDTA)" forgot to translate)."""
    from biobank.i18n import translator

    zh = translator("zh")
    found = {}
    for domain in (*VALUE_DOMAINS, "visit", "event", "audit_action"):
        for code, text in vocabulary.domain(domain).items():
            if text != code and " " in text and zh(text) != text:
                found[text] = domain
    return found


def _pattern(codes: dict[str, str]) -> re.Pattern[str]:
    words = sorted(codes, key=len, reverse=True)
    return re.compile(r"(?<![\w./-])(" + "|".join(map(re.escape, words)) + r")(?![\w/-])")


def _leak_pattern(lang: str) -> re.Pattern[str]:
    pattern = _pattern(_codes(lang))
    if lang != "zh":
        return pattern
    return re.compile(pattern.pattern + "|(" + "|".join(
        re.escape(t) for t in sorted(_english_labels(), key=len, reverse=True)) + ")")


def test_the_search_finds_what_a_reader_should_not_see() -> None:
    en, zh = _leak_pattern("en"), _leak_pattern("zh")
    html = _Text()
    html.feed('<p title="germline_loh">Origin: <a href="/x?o=stop_gained">Germline</a></p>'
              '<td>germline_loh</td><td>Stop gained (nonsense)</td><ul lang="en"><li>panel'
              '</li></ul><script>var s = "likely_pathogenic";</script>')
    assert " ".join(html.parts) == "Origin:  Germline germline_loh Stop gained (nonsense)"
    assert html.english == ["panel"]
    assert [m.group(0) for m in en.finditer(" ".join(html.parts))] == ["germline_loh"]
    for leak in ("检测 panel", "访视 Cycle 1 day 1", "类型 whole_blood_edta", "状态 stored"):
        assert zh.search(leak), leak
    for fine in ("检测 靶向基因包", "SP00000005X", "ARGO-evo_normal", "Demo Monitor"):
        assert not zh.search(fine), fine


def _pdf_text(data: bytes) -> str:
    out = subprocess.run(["pdftotext", "-q", "-", "-"], input=data, capture_output=True,
                         check=True, timeout=60)
    return out.stdout.decode("utf-8", "replace")


def _walk(client: Any, start: list[str]) -> dict[str, str]:
    """Every reachable GET page → the text a reader sees there."""
    texts: dict[str, str] = {}
    seen: set[str] = set()
    shapes: Counter[str] = Counter()
    queue = ["/", *start, "/participants/", "/scan", "/account/"]
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        shape = _SHAPE.sub("#", url)
        if shapes[shape] >= PER_SHAPE:
            continue
        shapes[shape] += 1
        resp = client.get(url)
        if resp.status_code != 200:
            continue
        kind = resp.mimetype
        if kind == "application/pdf":
            texts[url] = _pdf_text(resp.get_data())
        elif kind == "text/csv":
            texts[url] = resp.get_data(as_text=True).splitlines()[0]
        elif kind == "text/html":
            parser = _Text()
            parser.feed(resp.get_data(as_text=True))
            texts[url] = " ".join(parser.parts)
            texts[url + "#lang-en"] = " ".join(parser.english)
            for href in parser.links:
                target = urlsplit(urljoin(url, href))
                if target.netloc and target.netloc != "localhost":
                    continue
                path = target.path + (f"?{target.query}" if target.query else "")
                if path.startswith("/") and not SKIP.match(path) and path not in seen:
                    queue.append(path)
    return texts


@pytest.fixture
def walked_app(app: Flask, client_as: Any) -> list[str]:
    """The demo plus what a walk must see: a classified, signed analysis with a germline stop
    (LOH in the tumour), its specimens received at the central biobank, criteria recorded."""
    demo = demo_specimens(app)
    path = client_as("pathologist")
    resp = upload(path, mutect2_vcf([germline_stop()]), demo)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    analysis = resp.headers["Location"].rsplit("/", 1)[1]
    assert post_form(path, f"/genotyping/analyses/{analysis}/sign",
                     {"password": DEMO_PASSWORD, "confirm": "yes"}).status_code == 303
    # A second analysis left unsigned: the worklist has a row to read (its MEN1 status column
    # once showed the engine's code).
    waiting = upload(path, mutect2_vcf([germline_stop(), mutect2(*VUS, Counts(30, 0),
                                                                   Counts(20, 20))]), demo)
    assert waiting.status_code == 303, waiting.get_data(as_text=True)[:500]
    receive_at_central(app, [demo.blood, demo.tumour])
    coord = client_as("s01.coord")
    assert post_form(coord, f"/genotyping/participants/{demo.participant}/criteria",
                     {**GOOD_CRITERIA, "source": "clinic note"}).status_code == 303
    # Walked first, so the shape limit never leaves them out.
    return [f"/genotyping/analyses/{analysis}", f"/participants/{demo.participant}",
            f"/genotyping/participants/{demo.participant}",
            f"/genotyping/participants/{demo.participant}/gate",
            f"/specimens/{demo.blood}", f"/specimens/{demo.tumour}", "/genotyping/worklist"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_page_or_pdf_of_the_demo_walk_shows_a_raw_code(walked_app: list[str],
                                                          client_as: Any, lang: str) -> None:
    if shutil.which("pdftotext") is None:
        missing_dependency("pdftotext (poppler-utils) not installed")
    pattern = _leak_pattern(lang)
    multiword = _pattern(_codes("en"))
    leaks: dict[str, set[str]] = {}
    pages = pdfs = 0
    for role in ROLES:
        client = client_as(role)
        post_form(client, "/language", {"lang": lang, "next": "/"})
        texts = _walk(client, walked_app)
        pages += len(texts)
        for url, text in texts.items():
            pdfs += url.endswith(".pdf")
            # The known-variant table's version is an identifier ("… (shipped)"), not a word.
            text = text.replace(SHIPPED_VERSION, "")
            # The audit page shows each change under its recorded key (the monitor's view of
            # the raw trail); its one-word keys are English words, its multiword ones are not.
            search = multiword if url.endswith("#lang-en") or url.startswith("/audit") \
                else pattern
            for m in search.finditer(text):
                context = " ".join(text[max(0, m.start() - 40):m.end() + 40].split())
                leaks.setdefault(m.group(0), set()).add(f"{role} {url}: …{context}…")
    assert pages > 60 and pdfs >= 1, (pages, pdfs)  # the walk reached the demo's pages and PDFs
    assert not leaks, "\n".join(f"{code}: {sorted(where)[:4]}" for code, where in
                                sorted(leaks.items()))
