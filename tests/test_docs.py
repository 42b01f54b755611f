"""The docs stand on their own (issue 17): a clone has none of the design notes kept beside
the repository (FORBIDDEN below), so nothing in it may send a reader there; every relative
link of the README and docs/ resolves inside the repository; the architecture guide covers
what the issue asks; each role has a guide in both languages whose screenshots exist."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROLES = ("technician", "pathologist", "coordinator", "monitor")
# Split so that this file does not name what it forbids.
FORBIDDEN = ("../" + "shared", "README " + "facts", "shared/" + "DESIGN")


def _tracked_text_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    files = []
    for name in out:
        path = ROOT / name
        if path.suffix.lower() in (".png", ".ico", ".mo", ".ttf", ".otf", ".gz", ".bgz",
                                   ".bcf", ".tbi", ".pdf", ".woff", ".woff2", ".wav", ".ogg"):
            continue
        if path.is_file() and path.stat().st_size < 5_000_000:
            files.append(path)
    return files


def test_nothing_refers_to_files_outside_the_repository() -> None:
    found = []
    for path in _tracked_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        found += [(str(path.relative_to(ROOT)), w) for w in FORBIDDEN if w in text]
    assert not found, found


def _markdown() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.mark.parametrize("doc", _markdown(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor of the same page
        path = (doc.parent / target.split("#", 1)[0]).resolve()
        if not path.exists() or ROOT not in path.parents:
            broken.append(target)
    assert not broken, broken


def test_the_architecture_guide_covers_what_a_newcomer_needs() -> None:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for heading in ("## Three packages", "The commit rule", "## How to add a page",
                    "## How to add a service", "## How to add a caller layout"):
        assert heading in text, heading
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/ARCHITECTURE.md" in readme and "docs/men1-facts.md" in readme
    facts = (ROOT / "docs" / "men1-facts.md").read_text(encoding="utf-8")
    # Each numbered fact names where it comes from.
    facts_text = facts.split("## Data origins")[0]
    numbered = re.split(r"\n\d+\. \*\*", facts_text)[1:]
    assert len(numbered) >= 5 and "NM_001370259.2" in facts
    unsourced = [f[:60] for f in numbered if "Source" not in f and "(" not in f]
    assert not unsourced, unsourced


@pytest.mark.parametrize("role", ROLES)
def test_each_role_has_a_guide_in_both_languages_with_its_screens(role: str) -> None:
    guide = ROOT / "docs" / "guides" / f"{role}.md"
    text = guide.read_text(encoding="utf-8")
    english, _sep, chinese = text.partition("## 中文")
    assert "## English" in english and chinese.strip(), role
    en_images = re.findall(r"\((img/en/[^)]+\.png)\)", english)
    zh_images = re.findall(r"\((img/zh/[^)]+\.png)\)", chinese)
    assert en_images, role
    # The same screens in both languages, each taken by tests/biobank/e2e/test_guide_screens.py.
    assert [p.split("/")[-1] for p in en_images] == [p.split("/")[-1] for p in zh_images]
    shots = (ROOT / "tests" / "biobank" / "e2e" / "test_guide_screens.py").read_text()
    for image in en_images + zh_images:
        assert (guide.parent / image).is_file(), image
        assert f'"{Path(image).stem}"' in shots, image
