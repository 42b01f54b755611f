"""Outside results (variant_calling.outside) and ``men1 hgvs``: a germline result named by
another laboratory, checked against the shipped reference, placed, renamed and classified.

Expected genomic positions are computed here from the exon table's transcript positions and
GRCh37/GRCh38 exon coordinates, not by the code under test.
"""

from __future__ import annotations

import json

import pytest

from variant_calling import reference
from variant_calling.cli import main
from variant_calling.locus import HgvsError, place
from variant_calling.outside import classify_name

from .test_locus import BUILDS, c_to_genomic, comp

# R460* (NM_130799.2/NM_001370259.2 c.1378C>T; NM_000244.3 c.1393C>T), ClinVar VCV000016692.
R460X = {"NM_001370259.2": 1378, "NM_130799.2": 1378, "NM_000244.3": 1393}


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("accession", sorted(R460X))
@pytest.mark.parametrize("versioned", [True, False])
def test_names_on_each_transcript_place_on_the_genome_and_read_on_mane(
        build: str, accession: str, versioned: bool) -> None:
    c = R460X[accession]
    g = c_to_genomic(accession, build, c)
    acc = accession if versioned else accession.split(".")[0]
    assert reference.sequence(build, g, g) == comp("C")
    r = classify_name(f"{acc}:c.{c}C>T", build=build)
    v = r.variants[0]
    assert (v.pos, v.ref, v.alt) == (g, "G", "A")
    assert v.hgvs_c == "NM_001370259.2:c.1378C>T" and v.hgvs_p == "p.(Arg460*)"
    assert v.hgvs_g == f"{'NC_000011.10' if build == 'GRCh38' else 'NC_000011.9'}:g.{g}G>A"
    assert v.origin == "germline" and v.classification == "pathogenic" and v.qualifying
    assert r.men1_status == "germline" and r.qualifies
    assert any("known:ClinVar:VCV000016692" in e for e in v.evidence)
    assert v.evidence[0] == f"OUTSIDE_RESULT as reported: {acc}:c.{c}C>T"


@pytest.mark.parametrize(("name", "build"), [("NC_000011.10:g.{g38}G>A", "GRCh37"),
                                             ("NC_000011.9:g.{g37}G>A", "GRCh38")])
def test_genomic_names_on_either_build(name: str, build: str) -> None:
    g38 = c_to_genomic("NM_001370259.2", "GRCh38", 1378)
    g37 = c_to_genomic("NM_001370259.2", "GRCh37", 1378)
    v = classify_name(name.format(g38=g38, g37=g37), build=build).variants[0]
    assert v.pos == (g37 if build == "GRCh37" else g38)
    assert v.hgvs_c == "NM_001370259.2:c.1378C>T"


def test_a_novel_frameshift_is_likely_pathogenic_and_qualifies() -> None:
    # The classic c.1546dupC (NM_130799.2 numbering), 3'-normalised on MANE.
    r = classify_name("NM_130799.2:c.1546dupC")
    v = r.variants[0]
    assert v.hgvs_c == "NM_001370259.2:c.1546dup" and v.consequence == "frameshift_variant"
    assert v.classification in ("likely_pathogenic", "pathogenic") and v.qualifying
    assert any(e.startswith("PVS1") for e in v.evidence)
    assert "PM2_not_assessed" in " ".join(v.evidence)  # a report gives no population data


def test_the_refseq_polymorphism_is_benign_and_never_qualifies() -> None:
    r = classify_name("NM_000244.3:c.1636G>A")  # p.Ala546Thr on NM_000244.3 = Ala541Thr
    v = r.variants[0]
    assert v.hgvs_c == "NM_001370259.2:c.1621G>A" and v.hgvs_p == "p.(Ala541Thr)"
    assert v.classification == "benign" and not v.qualifying
    assert r.men1_status == "none_detected"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        # NM_000244.3 numbering mixed up with NM_130799.2's: the base is wrong, and said so.
        ("NM_000244.3:c.1546dupC", r"reference at c\.1546 on NM_000244\.3 is G, not C .*"
                                   r"NM_130799\.2:c\.1546dupC"),
        ("NM_001370259.2:c.1378G>T", r"reference at c\.1378 on NM_001370259\.2 is C, not G"),
        ("NC_000011.10:g.64804789C>T", r"reference at GRCh38 chr11:64804789 is G, not C"),
        ("NM_001370259.2:c.1900A>G", r"beyond the coding sequence .* c\.1833"),
        ("NM_001370259.2:c.*900A>G", r"outside NM_001370259\.2 \(its bases run c\.-61 to "
                                     r"c\.\*818\)"),
        ("NM_001370259.2:c.-300A>G", r"outside NM_001370259\.2"),
        ("NC_000011.10:g.64790000A>G", r"outside MEN1 \(chr11:64803514-64810716\)"),
        ("NM_000244.2:c.1393C>T", r"version 2 is not modelled .*NM_000244\.3"),
        ("NM_004006.2:c.1A>G", r"'NM_004006\.2' is not modelled"),
        ("NC_000011:g.64804789G>A", r"give the version"),
        ("NC_000017.11:g.7675088C>T", r"not chromosome 11"),
        ("c.1378C>T", r"give the transcript"),
        ("NM_001370259.2:p.Arg460*", r"cannot read"),
        ("NM_001370259.2:c.1378C>", r"unsupported HGVS edit"),
        ("NM_001370259.2:c.1621=", r"names no change"),
        ("", r"no HGVS name"),
    ],
)
def test_bad_names_are_refused_saying_what_is_wrong(name: str, message: str) -> None:
    with pytest.raises(HgvsError, match=message):
        classify_name(name)


def test_strict_placement_is_only_for_outside_results() -> None:
    # The transcript's flanks can still be named (the engine names upstream variants so).
    assert place("GRCh38", "NM_001370259.2:c.-300G>C")[2] == "G"
    with pytest.raises(HgvsError, match=r"outside NM_001370259\.2"):
        place("GRCh38", "NM_001370259.2:c.-300G>C", strict=True)


def test_cli_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hgvs", "NM_000244.3:c.1393C>T"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "genomic:   GRCh38 chr11:64804789 G>A  NC_000011.10:g.64804789G>A" in out
    assert "MANE:      NM_001370259.2:c.1378C>T p.(Arg460*)  stop_gained" in out
    assert "classification: pathogenic" in out and "qualifies: YES" in out
    assert main(["hgvs", "NM_000244.3:c.1393C>T", "--build", "GRCh37", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["build"] == "GRCh37" and data["variants"][0]["pos"] == 64804789 - 232528


def test_cli_refuses_with_one_line_and_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hgvs", "NM_001370259.2:c.1378G>T"]) == 3
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("men1: invalid input: ") and "is C, not G" in err
    assert main(["hgvs"]) == 2


# ---------------------------------------------------------------------------------------------
# Deletions and duplications with uncertain breakpoints (an outside MLPA or array result)


def mane_exons(build: str = "GRCh38") -> dict[int, tuple[int, int, str, str]]:
    from .test_copy_number import exons

    return exons(build)


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("name", [
    "NM_001370259.2:c.(?_-61)_(*818_?)del",
    "NM_001370259:c.(?_-61)_(*818_?)del",
    "{acc}:g.(?_{lo})_({hi}_?)del",
])
def test_an_outside_whole_gene_deletion_qualifies(build: str, name: str) -> None:
    ex = mane_exons(build)
    acc = "NC_000011.10" if build == "GRCh38" else "NC_000011.9"
    lo, hi = ex[10][0], ex[1][1]  # the MANE transcript's ends, from the exon table
    r = classify_name(name.format(acc=acc, lo=lo, hi=hi), build=build)
    v = r.variants[0]
    assert v.alt == "<DEL>" and v.copy_number is not None
    assert (v.copy_number["start"], v.copy_number["end"]) == (lo, hi)
    assert v.copy_number["exons"] == list(range(1, 11))
    assert v.hgvs_c == "NM_001370259.2:c.(?_-61)_(*818_?)del" and v.hgvs_p == "p.0?"
    assert v.hgvs_g == f"{acc}:g.(?_{lo})_({hi}_?)del"
    assert v.copy_number["section"] == "2A" and v.classification == "pathogenic"
    assert v.origin == "germline" and v.qualifying and r.men1_status == "germline"
    assert v.evidence[0].startswith("OUTSIDE_RESULT as reported: ")


def test_an_outside_exon_deletion_is_classified_on_the_bases_certainly_lost() -> None:
    """The MLPA-style name of the exon 5-6 deletion (Owens 2008): the breakpoints lie in
    introns 4 and 6; the exons certainly lost are 5 and 6 (2E, in frame: PVS1_Moderate)."""
    ex = mane_exons()
    name = (f"NM_130799.2:c.({ex[4][3]}+1_{ex[5][2]}-1)_({ex[6][3]}+1_{ex[7][2]}-1)del")
    v = classify_name(name).variants[0]
    assert v.copy_number is not None and v.copy_number["exons"] == [5, 6]
    assert (v.copy_number["start"], v.copy_number["end"]) == (ex[6][0] - 1, ex[5][1] + 1)
    assert v.hgvs_c == name.replace("NM_130799.2", "NM_001370259.2")
    assert v.hgvs_g == (f"NC_000011.10:g.({ex[7][1] + 1}_{ex[6][0] - 1})_"
                        f"({ex[5][1] + 1}_{ex[4][0] - 1})del")
    assert (v.copy_number["section"], v.copy_number["score"]) == ("2E", 0.30)
    assert v.classification == "uncertain_significance" and not v.qualifying


def test_an_outside_exon_2_deletion_loses_the_start_codon() -> None:
    ex = mane_exons()
    v = classify_name(f"NM_001370259.2:c.(-24+1_-23-1)_({ex[2][3]}+1_{ex[3][2]}-1)del"
                      ).variants[0]
    assert v.copy_number is not None and v.copy_number["exons"] == [2]
    assert v.classification == "likely_pathogenic" and v.qualifying  # 2E PVS1 0.90


def test_an_outside_whole_gene_duplication_is_not_loss_of_function() -> None:
    v = classify_name("NM_001370259.2:c.(?_-61)_(*818_?)dup").variants[0]
    assert v.alt == "<DUP>" and v.copy_number is not None
    assert v.copy_number["section"] == "2H" and not v.qualifying


@pytest.mark.parametrize(("name", "message"), [
    ("NM_001370259.2:c.(?_?)_(*818_?)del", r"each breakpoint needs a known bound"),
    ("NM_001370259.2:c.(?_*818)_(-61_?)del", r"range runs backwards"),
    # NM_130799.2's exon boundaries written on NM_000244.3 (whose exon 2 is 15 nt longer).
    ("NM_000244.3:c.(783+1_784-1)_(912+1_913-1)del",
     r"c\.783\+1: an intronic offset must hang off an exon boundary .*NM_130799\.2"),
    ("NM_004006.2:c.(?_-61)_(*818_?)del", r"'NM_004006\.2' is not modelled"),
    ("NC_000011.10:g.(?_64700000)_(64710000_?)del", r"outside MEN1"),
    ("NC_000011.9:g.(?_64000000)_(65000000_?)del", r"on GRCh37 and reaches past the shipped "
                                                   r"MEN1 window: give --build GRCh37"),
    ("NC_000011:g.(?_64803516)_(64810551_?)del", r"give the version"),
])
def test_bad_copy_number_names_are_refused(name: str, message: str) -> None:
    with pytest.raises(HgvsError, match=message):
        classify_name(name)


def test_cli_prints_a_deletions_extent_and_score(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hgvs", "NM_001370259.2:c.(?_-61)_(*818_?)del"]) == 0
    out = capsys.readouterr().out
    assert "genomic:   GRCh38 chr11:64803516-64810551 <DEL>" in out
    assert "MANE:      NM_001370259.2:c.(?_-61)_(*818_?)del p.0?  transcript_ablation" in out
    assert "pathogenic (ClinGen CNV 2A, score +1.00; exons 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)" in out
    assert "qualifies: YES" in out
