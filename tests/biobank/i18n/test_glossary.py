"""One Chinese term per concept: the catalogue follows docs/glossary.md."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]
GLOSSARY = ROOT / "docs" / "glossary.md"
CATALOGUE = ROOT / "biobank" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"


def _rows() -> list[tuple[str, str, list[str]]]:
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("English", "") or set(cells[0]) <= {"-"}:
            continue
        avoid = [w.strip() for w in cells[2].split(",") if w.strip()]
        rows.append((cells[0], cells[1], avoid))
    return rows


def _translations() -> dict[str, str]:
    with CATALOGUE.open("rb") as f:
        catalog = read_po(f, locale="zh")
    out = {}
    for m in catalog:
        if not m.id:
            continue
        msgid = m.id if isinstance(m.id, str) else m.id[0]
        text = m.string if isinstance(m.string, str) else " ".join(m.string or ())
        out[msgid] = text
    return out


def test_the_glossary_lists_the_core_concepts() -> None:
    terms = {english: chinese for english, chinese, _a in _rows()}
    assert terms["participant"] == "受试者"
    assert terms["specimen"] == "标本" and terms["box"] == "冻存盒"
    assert len(terms) >= 20


def test_no_translation_uses_a_word_the_glossary_rules_out() -> None:
    translations = _translations()
    found = [(english, word, msgid) for english, _c, avoid in _rows() for word in avoid
             for msgid, text in translations.items() if word in text]
    assert not found, found


def test_a_glossary_term_translated_on_its_own_uses_the_glossary_word() -> None:
    translations = _translations()
    checked = 0
    for english, chinese, _avoid in _rows():
        for en, zh in zip(english.split(" / "), chinese.split(" / "), strict=False):
            for msgid in (en, en[:1].upper() + en[1:]):
                if translations.get(msgid):
                    assert zh in translations[msgid], (msgid, translations[msgid], zh)
                    checked += 1
    assert checked >= 10, checked


def test_every_message_about_a_participant_says_shouzhe() -> None:
    translations = _translations()
    about = {msgid: text for msgid, text in translations.items()
             if re.search(r"\bparticipants?\b", msgid, re.I) and text}
    assert len(about) > 10
    assert all("受试者" in text for text in about.values()), {
        m: t for m, t in about.items() if "受试者" not in t}
