"""The points scale (variant_calling.scoring) against the published tables.

Expectations are written out from the papers, not computed by the module under test:
Tavtigian et al., Hum Mutat 2020;41:1734 (points: very strong 8, strong 4, moderate 2,
supporting 1; >= 10 P, 6-9 LP, 0-5 VUS, -1 to -6 LB, <= -7 B), applied to each combining rule
of Richards et al. 2015 (table 5); and the ClinGen/CGC/VICC oncogenicity SOP (Horak et al.,
Genet Med 2022, tables 1-3: the same points and cut-offs).
"""

from __future__ import annotations

import pytest

from variant_calling.scoring import (
    ACMG_TIERS,
    ONCOGENICITY_TIERS,
    Criterion,
    points_of,
    strength_of,
    tally,
)


def tier(*codes: str) -> tuple[str, int]:
    return tally([Criterion(c, "test") for c in codes], ACMG_TIERS)


# (2015 rule, codes, points, tier on the points scale). Two 2015 rules land elsewhere on the
# points scale, as Tavtigian et al. 2018 showed with the Bayesian model: "1 very strong + 1
# moderate" (2015: LP) is 10 points, pathogenic; ">= 2 strong" (2015: P) is 8, likely
# pathogenic.
RICHARDS_2015 = [
    ("P (i)(a) 1 VS + >=1 S", ("PVS1", "PS1"), 12, "pathogenic"),
    ("P (i)(b) 1 VS + >=2 M", ("PVS1", "PM4", "PM5"), 12, "pathogenic"),
    ("P (i)(c) 1 VS + 1 M + 1 P", ("PVS1", "PM5", "PP3"), 11, "pathogenic"),
    ("P (i)(d) 1 VS + >=2 P", ("PVS1", "PP1", "PP3"), 10, "pathogenic"),
    ("P (ii) >=2 S", ("PS1", "PS3"), 8, "likely_pathogenic"),
    ("P (iii)(a) 1 S + >=3 M", ("PS1", "PM1", "PM4", "PM5"), 10, "pathogenic"),
    ("P (iii)(b) 1 S + 2 M + >=2 P", ("PS1", "PM1", "PM5", "PP1", "PP3"), 10, "pathogenic"),
    ("P (iii)(c) 1 S + 1 M + >=4 P", ("PS1", "PM5", "PP1", "PP2", "PP3", "PP4"), 10,
     "pathogenic"),
    ("LP (i) 1 VS + 1 M", ("PVS1", "PM5"), 10, "pathogenic"),
    ("LP (ii) 1 S + 1 M", ("PS1", "PM5"), 6, "likely_pathogenic"),
    ("LP (ii) 1 S + 2 M", ("PS1", "PM4", "PM5"), 8, "likely_pathogenic"),
    ("LP (iii) 1 S + >=2 P", ("PS1", "PP1", "PP3"), 6, "likely_pathogenic"),
    ("LP (iv) >=3 M", ("PM1", "PM4", "PM5"), 6, "likely_pathogenic"),
    ("LP (v) 2 M + >=2 P", ("PM4", "PM5", "PP1", "PP3"), 6, "likely_pathogenic"),
    ("LP (vi) 1 M + >=4 P", ("PM5", "PP1", "PP2", "PP3", "PP4"), 6, "likely_pathogenic"),
    ("B (ii) >=2 BS", ("BS1", "BS3"), -8, "benign"),
    ("LB (i) 1 BS + 1 BP", ("BS1", "BP4"), -5, "likely_benign"),
    ("LB (ii) >=2 BP", ("BP4", "BP7"), -2, "likely_benign"),
    # ClinGen SVI (2020): PM2 at supporting; PVS1 + PM2_Supporting is likely pathogenic.
    ("SVI PVS1 + PM2_Supporting", ("PVS1", "PM2_Supporting"), 9, "likely_pathogenic"),
    ("PVS1 alone", ("PVS1",), 8, "likely_pathogenic"),
    ("PVS1_Strong + PM2_Supporting", ("PVS1_Strong", "PM2_Supporting"), 5,
     "uncertain_significance"),
    ("PVS1_Moderate + PM2_Supporting", ("PVS1_Moderate", "PM2_Supporting"), 3,
     "uncertain_significance"),
    ("contradictory: PVS1 + BS1", ("PVS1", "BS1"), 4, "uncertain_significance"),
    ("nothing", (), 0, "uncertain_significance"),
]


@pytest.mark.parametrize(("rule", "codes", "points", "expected"), RICHARDS_2015,
                         ids=[r[0] for r in RICHARDS_2015])
def test_richards_2015_combinations_on_the_points_scale(
    rule: str, codes: tuple[str, ...], points: int, expected: str
) -> None:
    assert tier(*codes) == (expected, points)


def test_ba1_is_stand_alone_whatever_else_applies() -> None:
    assert tier("BA1") == ("benign", 0)
    assert tier("BA1", "PVS1", "PS1")[0] == "benign"


@pytest.mark.parametrize(
    ("code", "strength", "points"),
    [
        ("PVS1", "very_strong", 8), ("PVS1_Strong", "strong", 4),
        ("PVS1_Moderate", "moderate", 2), ("PVS1_Supporting", "supporting", 1),
        ("PS1", "strong", 4), ("PS3_Moderate", "moderate", 2), ("PM2", "moderate", 2),
        ("PM2_Supporting", "supporting", 1), ("PP3_Strong", "strong", 4),
        ("BA1", "stand_alone", 0), ("BS1", "strong", -4), ("BS1_Supporting", "supporting", -1),
        ("BP4", "supporting", -1), ("BP4_Moderate", "moderate", -2),
        ("OVS1", "very_strong", 8), ("OVS1_Strong", "strong", 4), ("OS1", "strong", 4),
        ("OM2", "moderate", 2), ("OM4", "moderate", 2), ("OP4", "supporting", 1),
        ("SBVS1", "very_strong", -8), ("SBS1", "strong", -4), ("SBP2", "supporting", -1),
    ],
)
def test_strength_and_points_follow_the_code_names(code: str, strength: str, points: int) -> None:
    assert strength_of(code) == strength
    assert points_of(code) == points


@pytest.mark.parametrize("note", ["PM2_not_assessed", "known:ClinVar:1", "QUALITY_PASS", "PVS"])
def test_notes_are_not_evidence_codes(note: str) -> None:
    assert strength_of(note) is None and points_of(note) == 0


# The SOP's own arithmetic (Horak et al. 2022, table 1 cut-offs; tables 2 and 3 points).
HORAK = [
    (("OVS1", "OP4"), 9, "likely_oncogenic"),
    (("OVS1", "OS1"), 12, "oncogenic"),
    (("OVS1",), 8, "likely_oncogenic"),
    (("OS1", "OS3", "OM1", "OP4"), 11, "oncogenic"),
    (("OS2", "OS3", "OM1", "OP1", "OP4"), 12, "oncogenic"),
    (("OS3", "OP4"), 5, "uncertain_significance"),
    (("OM2", "OP4"), 3, "uncertain_significance"),
    (("OS1", "OM4"), 6, "likely_oncogenic"),
    (("SBVS1",), -8, "benign"),
    (("SBS1", "SBP1"), -5, "likely_benign"),
    (("SBP1", "SBP2"), -2, "likely_benign"),
    (("OVS1", "SBVS1"), 0, "uncertain_significance"),
    (("OVS1", "SBS1"), 4, "uncertain_significance"),
]


@pytest.mark.parametrize(("codes", "points", "expected"), HORAK)
def test_oncogenicity_points_and_tiers(codes: tuple[str, ...], points: int, expected: str) -> None:
    assert tally([Criterion(c, "test") for c in codes], ONCOGENICITY_TIERS) == (expected, points)


def test_criterion_text_names_code_points_and_reason() -> None:
    assert Criterion("PVS1", "nonsense").text() == "PVS1 (+8): nonsense"
    assert Criterion("BS1", "too common").text() == "BS1 (-4): too common"
    assert Criterion("BA1", "common").text() == "BA1 (stand-alone): common"
