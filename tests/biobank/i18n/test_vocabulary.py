"""The one vocabulary: every code the app writes has a label in both languages, and a
record's history reads in words people use."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from biobank import history, vocabulary
from biobank.i18n import render, translator
from biobank.models.shipment import ITEM_STATES
from biobank.services import shipments, specimens
from variant_calling.locus import SEVERITY

ROOT = Path(__file__).resolve().parents[3] / "biobank"
ZH = translator("zh")


def _literal_actions() -> set[str]:
    found = set()
    for path in ROOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"audit\.record\(\s*[^,]+,\s*[^,]+,\s*\"([a-z_]+\.[a-z_]+)\"",
                             text):
            found.add(m.group(1))
        # The retry/requeue pair is chosen by a conditional expression.
        found.update(re.findall(r"\"(genotyping\.classification_[a-z]+)\"", text))
    return found


def test_every_audit_action_the_code_writes_has_a_label() -> None:
    literal = _literal_actions()
    assert len(literal) > 30 and "specimen.correct" in literal
    dynamic = ({f"shipment.{s}" for s in shipments.STATUS_LABELS}
               | {f"shipment.item_{s}" for s in ITEM_STATES}
               | {f"genotyping.{s}_create" for s in ("outside", "mlpa")}
               | {f"specimen.{a}" for a in specimens.TRANSITIONS})
    missing = sorted((literal | dynamic) - set(vocabulary.AUDIT_ACTIONS))
    assert not missing, missing


def test_every_record_type_the_code_writes_has_a_label() -> None:
    """The audit filter offers the vocabulary's record types: each one written must be there."""
    written = set()
    for path in ROOT.rglob("*.py"):
        written.update(re.findall(
            r"audit\.record\(\s*[^,]+,\s*[^,]+,\s*(?:\"[a-z_.]+\"|[a-z_]+),\s*\"([a-z_]+)\"",
            path.read_text(encoding="utf-8")))
    assert {"specimen", "shipment", "site"} <= written
    assert not sorted(written - set(vocabulary.RECORDS)), written - set(vocabulary.RECORDS)


def test_every_consequence_the_engine_reports_has_a_label() -> None:
    assert set(SEVERITY) <= set(vocabulary.CONSEQUENCES)


def test_every_label_of_every_domain_is_translated() -> None:
    untranslated = [(name, code, text) for name in vocabulary.DOMAIN_NAMES
                    for code, text in vocabulary.domain(name).items()
                    if text != code and ZH(text) == text]
    assert not untranslated, untranslated


def test_display_reads_codes_in_both_languages_and_never_shows_none() -> None:
    assert vocabulary.display("origin", "germline_loh", str) == (
        "Germline with loss of heterozygosity in the tumour")
    assert vocabulary.display("origin", "germline", ZH) == "胚系"
    assert vocabulary.display("classification", "likely_pathogenic", ZH) == "可能致病"
    assert vocabulary.display("visit", "C1D1", ZH) == "第 1 周期第 1 天"
    assert vocabulary.display("consequence", "stop_gained", str) == "Stop gained (nonsense)"
    assert vocabulary.display("status", None, ZH) == "—"
    # A code nobody labelled reads as words, never with underscores.
    assert vocabulary.display("consequence", "exon_loss_variant", str) == "exon loss variant"
    # A gate detail's word: the label in English messages, translated when rendered.
    word = vocabulary.word("status", "in_transit")
    assert str(word) == "In transit" and render(word, ZH) == "运输中"


def test_history_lines_name_fields_and_values_for_people() -> None:
    changes = {"site": ["S01", "CB"], "freeze_thaw_count": [0, 1], "status": [None, "stored"],
               "collected_at": "2026-11-24T06:05:00.123456+00:00", "notes": None}
    assert history.change_lines(changes, str, "Asia/Shanghai") == [
        "Site: S01 → CB", "Freeze–thaw cycles: 0 → 1", "Status: — → Stored",
        "Collected at: 2026-11-24 14:05 CST", "Notes: —"]
    assert history.change_lines(changes, ZH, "Asia/Shanghai", "zh") == [
        "中心：S01 → CB", "冻融次数：0 → 1", "状态：— → 已入库",
        "采集时间：2026年11月24日 14:05 CST", "备注：—"]
    correction = {"field": "container", "old": "edta_tube_4ml", "new": "cryovial_2ml",
                  "reason": "wrong tube"}
    assert history.change_lines(correction, str) == [
        "Container: EDTA tube 4 mL → Cryovial 2 mL", "Reason: wrong tube"]
    when = datetime(2026, 11, 24, 6, 5, 7, 123456, tzinfo=UTC)
    assert history.value_text("at", when, str, "Asia/Shanghai") == "2026-11-24 14:05 CST"
    assert history.value_text("late", True, ZH) == ZH("yes")
    # Never set and emptied read differently: a monitor must see that a note was cleared.
    assert history.change_lines({"notes": ["left on bench", ""], "status": [None, "stored"]},
                                str) == ["Notes: left on bench → (empty)", "Status: — → Stored"]
    assert history.value_text("notes", "", ZH) == ZH("(empty)") != "—"
    # A shipment's details read by their names, as on the form.
    assert history.change_lines({"courier": [None, "SF Express"], "logger_id": ["L1", "L2"]},
                                ZH) == ["承运商：— → SF Express", "温度记录仪：L1 → L2"]
