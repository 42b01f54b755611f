"""MLPA P017 probe-ratio tables (issue 19): exon deletions and duplications from blood DNA,
named and classified like copy-number calls; a single-probe event waits for a confirmation;
bad tables are refused naming the row. Expected names are computed here from the exon table."""

from __future__ import annotations

from pathlib import Path

import pytest

from variant_calling.cli import main
from variant_calling.errors import InputError
from variant_calling.mlpa import classify_table

from .test_copy_number import exons
from .test_locus import exon_rows

MANE = "NM_001370259.2"


def kit_exon(n: int, build: str = "GRCh38") -> tuple[int, int]:
    row = next(r for r in exon_rows() if r["transcript"] == "NM_130799.2"
               and int(r["exon"]) == n)
    return int(row[f"{build.lower()}_start"]), int(row[f"{build.lower()}_end"])


def table(ratios: dict[int, float], *, kit: str = "P017-D1", extra: str = "",
          two_probes: tuple[int, ...] = (3,)) -> str:
    rows = ["kit,probe,exon,ratio"]
    for exon in range(1, 11):
        r = ratios.get(exon, 1.0)
        rows.append(f"{kit},MEN1 probe {exon:02d},{exon},{r}")
        if exon in two_probes:
            rows.append(f"{kit},MEN1 probe {exon:02d}b,{exon},{r + 0.02}")
    rows += [f"{kit},reference probe 1,ref,1.01", f"{kit},reference probe 2,ref,0.97"]
    return "\n".join(rows) + "\n" + extra


def test_whole_gene_deletion_qualifies_as_germline() -> None:
    r = classify_table(table({n: 0.5 for n in range(1, 11)})).as_dict()
    (v,) = r["variants"]
    assert v["hgvs_c"] == f"{MANE}:c.(?_-61)_(*818_?)del" and v["hgvs_p"] == "p.0?"
    lo, hi = kit_exon(10)[0], kit_exon(1)[1]
    assert v["hgvs_g"] == f"NC_000011.10:g.(?_{lo})_({hi}_?)del"
    assert v["copy_number"]["section"] == "2A" and v["classification"] == "pathogenic"
    assert v["origin"] == "germline" and v["qualifying"] and r["men1_status"] == "germline"
    assert len(v["copy_number"]["probes"]) == 11  # exon 3 has two probes


def test_exon_2_3_deletion_named_between_the_flanking_probes() -> None:
    r = classify_table(table({2: 0.51, 3: 0.48})).as_dict()
    (v,) = r["variants"]
    ex = exons()
    # The breakpoints lie between exon 1's and exon 2's probes, and exon 3's and exon 4's.
    assert v["hgvs_c"].endswith(f"_({ex[3][3]}+1_{ex[4][2]}-1)del")
    assert v["hgvs_g"] == (f"NC_000011.10:g.({ex[4][1] + 1}_{ex[3][0] - 1})_"
                           f"({ex[2][1] + 1}_{kit_exon(1)[0] - 1})del")
    assert v["copy_number"]["exons"] == [2, 3] and v["copy_number"]["section"] == "2E"
    assert v["classification"] == "likely_pathogenic" and v["qualifying"]  # start codon lost


def test_a_single_probe_event_waits_for_confirmation() -> None:
    r = classify_table(table({5: 0.5})).as_dict()
    (v,) = r["variants"]
    ex = exons()
    assert v["hgvs_c"] == (f"{MANE}:c.({ex[4][3]}+1_{ex[5][2]}-1)_({ex[5][3]}+1_"
                           f"{ex[6][2]}-1)del")
    assert v["classification"] == "likely_pathogenic"  # exon 5 skipping: PVS1
    assert not v["quality_pass"] and not v["qualifying"] and v["copy_number"]["single_probe"]
    assert any("single probe" in w for w in r["warnings"])
    assert r["men1_status"] == "not_covered"  # pending until confirmed, never negative
    confirmed = classify_table(table({5: 0.5}), confirmed=frozenset({5})).as_dict()
    assert confirmed["variants"][0]["qualifying"] and confirmed["men1_status"] == "germline"


def test_an_in_frame_exon_duplication_is_uncertain() -> None:
    (v,) = classify_table(table({4: 1.52}, two_probes=(4,))).as_dict()["variants"]
    assert v["hgvs_c"].endswith("dup") and v["copy_number"]["section"] == "2I"
    assert v["classification"] == "uncertain_significance" and not v["qualifying"]


def test_normal_and_ambiguous_ratios_are_not_called() -> None:
    r = classify_table(table({7: 0.72})).as_dict()
    assert r["variants"] == [] and r["men1_status"] == "not_covered"
    assert any("exon 7: ambiguous probe ratios (MEN1 probe 07 0.72)" in w for w in r["warnings"])
    assert any("sequence variants of MEN1 were not assessed" in w for w in r["warnings"])


@pytest.mark.parametrize(("text", "message"), [
    (table({}, kit="P018-B1"), r"line 2, field kit: kit 'P018-B1' is not SALSA MLPA P017"),
    (table({}).replace("P017-D1,MEN1 probe 04", "P017-C1,MEN1 probe 04"),
     r"field kit: the table mixes kits"),
    (table({}, extra="P017-D1,MEN1 probe 05,5,1.0\n"),
     r"probe 'MEN1 probe 05' appears twice \(rows 7 and 15\)"),
    (table({6: 0.5}).replace(",6,0.5", ",6,half"), r"line 8, field ratio: ratio 'half'"),
    (table({6: 7.5}), r"line 8, field ratio: ratio 7.5 is out of range"),
    (table({}).replace(",8,1.0", ",,1.0"), r"line 10, field exon: probe 'MEN1 probe 08' names "
                                           r"no exon"),
    (table({}).replace(",8,1.0", ",11,1.0"), r"exon '11' is not a MEN1 exon"),
    (table({}).replace("P017-D1,MEN1 probe 09,9,1.0\n", ""), r"no probe for MEN1 exon\(s\) 9"),
    ("probe,ratio\nx,1.0\n", r"no column kit, exon"),
    # A formula cell (OWASP CSV injection): the app serves the stored table back as it was.
    (table({}).replace("MEN1 probe 04", '=HYPERLINK("http://x.example","04")'),
     r"line 6, field probe: cell '=HYPERLINK.*would run as a formula"),
    (table({}, extra="P017-D1,reference probe 3,ref,1.0,@cmd\n"),
     r"line 15, field column 5: cell '@cmd'"),
    (table({}).replace(",8,1.0", ",8,+1+cmd|' /C calc'!A0"), r"line 10, field ratio: cell"),
    ("", r"empty"),
])
def test_bad_tables_are_refused_naming_the_row(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        classify_table(text)


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "p017.csv"
    p.write_text(table({n: 0.5 for n in range(1, 11)}))
    assert main(["mlpa", str(p)]) == 0
    out = capsys.readouterr().out
    assert "MEN1 status: germline   qualifies: YES" in out and "c.(?_-61)_(*818_?)del" in out
    p.write_text(table({}, kit="P018-B1"))
    assert main(["mlpa", str(p)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not SALSA MLPA P017" in err


@pytest.mark.parametrize(("ratio", "copies"), [
    (0.0, 0), (0.10, 0), (0.40, 1), (0.65, 1), (1.30, 3), (1.65, 3), (1.75, 4), (2.15, 4)])
def test_each_threshold_band_is_called(ratio: float, copies: int) -> None:
    """MRC Holland's ranges, edges included: a whole-gene event at each called copy number."""
    (v,) = classify_table(table({n: ratio for n in range(1, 11)}, two_probes=())).as_dict()[
        "variants"]
    assert v["copy_number"]["copy_number"] == {"normal": copies}
    assert v["copy_number"]["svtype"] == ("DEL" if copies < 2 else "DUP")
    assert v["copy_number"]["section"] == ("2A" if copies < 2 else "2H")


@pytest.mark.parametrize("ratio", [0.11, 0.39, 0.66, 0.79, 1.21, 1.29, 1.66, 1.74, 2.16, 3.0])
def test_ratios_between_the_bands_are_ambiguous(ratio: float) -> None:
    r = classify_table(table({4: ratio}, two_probes=())).as_dict()
    assert r["variants"] == []
    assert any(w.startswith("exon 4: ambiguous probe ratios") for w in r["warnings"])


def test_the_published_exon_5_6_deletion_by_mlpa() -> None:
    """Owens, Ellard & Vaidya (Clin Endocrinol 2008;68:350) found a deletion of exons 5 and 6
    by MLPA: its names lie between exon 4's and exon 7's probes; in frame (129 nt), it scores
    2E 0.30 (PVS1_Moderate) and stays uncertain without case-level evidence."""
    (v,) = classify_table(table({5: 0.47, 6: 0.52})).as_dict()["variants"]
    ex = exons()
    assert v["hgvs_c"] == (f"{MANE}:c.({ex[4][3]}+1_{ex[5][2]}-1)_({ex[6][3]}+1_"
                           f"{ex[7][2]}-1)del")
    assert v["hgvs_g"] == (f"NC_000011.10:g.({ex[7][1] + 1}_{ex[6][0] - 1})_"
                           f"({ex[5][1] + 1}_{ex[4][0] - 1})del")
    assert v["copy_number"]["exons"] == [5, 6] and not v["copy_number"]["single_probe"]
    assert (v["copy_number"]["section"], v["copy_number"]["score"]) == ("2E", 0.30)
    assert v["classification"] == "uncertain_significance" and not v["qualifying"]
