"""Every word a user reads is in the Chinese catalogue, and no template hides raw text.

(1) Every message id extracted from biobank/ (``_()``, ``gettext``, ``ngettext``,
``lazy_gettext``, the ``N_`` marker, and the fixed messages of the domain errors) has a
non-empty Chinese translation with the same placeholders. (2) No template has user-visible
text outside ``_()``: HTML text and the title/placeholder/aria-label/alt attributes, after
removing Jinja tags, may hold only codes, numbers, symbols and a short allow-list.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from biobank import i18n

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "biobank" / "templates"
PO = ROOT / "biobank" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"

# Words that are the same in both languages (names, standards) or a language's own name.
ALLOWED = {"English", "中文", "SPREC", "MEN1", "MEN-1", "VCF", "BCF", "CSV", "HGVS", "FHIR",
           "VAF", "UTC", "ECOG", "RECIST", "API", "GRCh38", "GRCh37", "DNA", "FFPE", "ID", "CB",
           "PDF", "ZPL", "sha256", "SHA-256", "OpenAPI", "JSON"}
CHECKED_ATTRS = {"title", "placeholder", "aria-label", "alt"}
_JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.S)
_WORD = re.compile(r"[^\W\d_][\w\-]*", re.U)
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%")


def _keywords() -> dict[str, object]:
    from babel.messages.extract import DEFAULT_KEYWORDS
    from babel.messages.frontend import parse_keywords

    keywords: dict[str, object] = dict(DEFAULT_KEYWORDS)
    keywords.update(parse_keywords(list(i18n.EXTRACT_KEYWORDS)))
    return keywords


def _extracted() -> dict[str, str]:
    """msgid → first place it occurs, extracted exactly as babel.cfg + i18n.EXTRACT_KEYWORDS."""
    method_map = [("biobank/**.py", "python"), ("biobank/templates/**.html", "jinja2")]
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _ctx in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=_keywords(),  # type: ignore[arg-type]
    ):
        if not filename.startswith("biobank"):
            continue
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def _catalogue() -> dict[str, tuple[str, ...]]:
    with PO.open("rb") as f:
        cat = read_po(f, locale="zh")
    out: dict[str, tuple[str, ...]] = {}
    for m in cat:
        if not m.id:
            continue
        key = m.id if isinstance(m.id, str) else m.id[0]
        out[key] = (m.string,) if isinstance(m.string, str) else tuple(m.string)
    return out


def test_the_catalogue_has_each_message_once_with_one_translation() -> None:
    """Merged branches append to the catalogue: a message twice (Babel silently keeps one of
    two translations) or a translation left without its message must not get through."""
    ids: list[str] = []
    previous = ""
    for n, line in enumerate(PO.read_text(encoding="utf-8").splitlines(), 1):
        assert not (line.startswith("msgstr ") and previous.startswith("msgstr ")), \
            f"messages.po:{n}: a second translation with no message of its own"
        if line.startswith("msgid ") and line != 'msgid ""':
            ids.append(line)
        previous = line
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_babel_cfg_names_the_extraction_keywords() -> None:
    text = (ROOT / "babel.cfg").read_text(encoding="utf-8")
    assert "[python: biobank/**.py]" in text and "[jinja2: biobank/templates/**.html]" in text
    for name in i18n.EXTRACT_KEYWORDS:
        assert f"-k {name} " in text or f"-k {name}\n" in text, name
    assert "add-display-messages" in text


def test_every_message_has_a_chinese_translation() -> None:
    extracted = {**i18n.display_messages(), **_extracted()}
    catalogue = _catalogue()
    assert len(extracted) > 200  # the extraction itself works (a broken one would pass)
    missing = sorted(f"{where}: {msgid!r}" for msgid, where in extracted.items()
                     if not any(catalogue.get(msgid, ("",))))
    assert not missing, ("untranslated (run the extract/update commands in babel.cfg and fill "
                         "the msgstr):\n" + "\n".join(missing))


def test_translations_keep_their_placeholders() -> None:
    bad = []
    for msgid, strings in _catalogue().items():
        want = sorted(_PLACEHOLDER.findall(msgid))
        for s in strings:
            if s and sorted(_PLACEHOLDER.findall(s)) != want:
                bad.append(f"{msgid!r} → {s!r}")
    assert not bad, "\n".join(bad)


def test_display_tables_are_found_and_translated() -> None:
    """Labels shown through _(variable) (statuses, kinds, criteria...) are in the catalogue."""
    shown = i18n.display_messages()
    catalogue = _catalogue()
    for text in ("Dry ice (−78 °C)", "Cryobox 9×9 (81)", "Exclusion: Poorly controlled diabetes",
                 "Likely pathogenic", "screen_failed"):
        assert text in shown
    missing = [f"{source}: {text!r}" for text, source in shown.items()
               if not catalogue.get(text, ("",))[0]]
    assert not missing, "\n".join(missing)


def test_vocabulary_labels_are_translated() -> None:
    from biobank import vocabulary

    catalogue = _catalogue()
    for table in (vocabulary.SPECIMEN_TYPES, vocabulary.CONTAINERS, vocabulary.STATUSES):
        for code, text in table.items():
            zh = catalogue.get(text, ("",))[0]
            assert zh and re.search(r"[\u4e00-\u9fff]", zh), (code, text, zh)


class _TextFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in CHECKED_ATTRS and value:
                self._check(f"{tag}[{name}]", value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._check("text", data)

    def _check(self, where: str, text: str) -> None:
        # A lone letter is a unit or notation (B for bytes, HGVS c. and p.), not a word.
        words = [w for w in _WORD.findall(text) if w not in ALLOWED and len(w) > 1]
        if words:
            self.found.append(f"{where}: {text.strip()!r}")


def raw_text(template_source: str) -> list[str]:
    """User-visible text in a template that is not inside a Jinja tag (i.e. not translated)."""
    finder = _TextFinder()
    finder.feed(_JINJA.sub(" ", template_source))
    finder.close()
    return finder.found


def test_the_raw_text_check_catches_untranslated_words() -> None:
    assert raw_text('<p>{{ _("Stored") }} 3 · SPREC</p><input placeholder="{{ _(\'x\') }}">') == []
    assert raw_text("<p>Stored</p>") == ["text: 'Stored'"]
    assert raw_text('<input placeholder="Scan here">') == ["input[placeholder]: 'Scan here'"]
    assert raw_text("<p>{% if x %}已入库{% endif %}</p>") == ["text: '已入库'"]
    assert raw_text("<script>var ok = 1;</script>{# a comment #}") == []


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix()
                                            for p in TEMPLATES.rglob("*.html")))
def test_template_has_no_untranslated_text(template: str) -> None:
    found = raw_text((TEMPLATES / template).read_text(encoding="utf-8"))
    assert not found, f"{template}: wrap in {{{{ _('...') }}}}:\n" + "\n".join(found)


def test_catalogues_compile_and_stale_ones_are_rebuilt(tmp_path: Path) -> None:
    target = tmp_path / "zh" / "LC_MESSAGES"
    target.mkdir(parents=True)
    po = target / "messages.po"
    po.write_bytes(PO.read_bytes())
    assert i18n.compile_catalogues(tmp_path) == [target / "messages.mo"]
    assert i18n.compile_catalogues(tmp_path) == []  # up to date: nothing rewritten
    mo = target / "messages.mo"
    import os

    os.utime(mo, (po.stat().st_mtime - 10, po.stat().st_mtime - 10))  # .po edited after
    assert i18n.compile_catalogues(tmp_path) == [mo]

    from babel.support import Translations

    with mo.open("rb") as f:
        assert Translations(f).gettext("Scan station") == "扫描工作站"
