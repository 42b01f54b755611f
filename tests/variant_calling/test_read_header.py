"""``read_header``: what a file's header says (caller, version, build, samples, roles) without
reading its records — the app proposes the upload's mapping from it."""

from __future__ import annotations

from pathlib import Path

from variant_calling import read_header

from .conftest import header_of


def test_a_mutect2_header_declares_its_roles(tmp_path: Path) -> None:
    path = tmp_path / "pair.vcf"
    path.write_text("\n".join(header_of("mutect2_gatk4_filtered_tumor_normal_argo.vcf")) + "\n")
    h = read_header(path)
    assert (h.caller, h.caller_version, h.build) == ("Mutect2", "4.2.4.1", "GRCh38")
    assert h.roles == {"ARGO-evo_normal": "normal", "ARGO-evo": "tumor"}
    assert h.declared["ARGO-evo_normal"] == ("normal", "##normal_sample=ARGO-evo_normal")


def test_no_build_and_no_roles_are_said_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "bare.vcf"
    path.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\t"
                    "FORMAT\tS1\tS2\n")
    h = read_header(path)
    assert h.build is None and h.build_problem and "--build" in h.build_problem
    assert h.samples == ["S1", "S2"] and h.roles == {} and h.declared == {}
