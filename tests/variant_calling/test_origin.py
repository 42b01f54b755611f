from __future__ import annotations

import pytest

from variant_calling.origin import decide, normal_state, tumor_state
from variant_calling.reader import SampleEvidence
from variant_calling.rules import DEFAULT_RULES, Rules


def ev(ref: int, alt: int) -> SampleEvidence:
    d = ref + alt
    return SampleEvidence(d, alt, round(alt / d, 4) if d else None, None)


@pytest.mark.parametrize(
    "normal,tumor,origin",
    [
        (ev(20, 20), ev(30, 30), "germline"),  # het, tumour unchanged
        (ev(1, 39), ev(0, 40), "germline"),  # hom
        (ev(20, 20), ev(8, 52), "germline_loh"),  # second hit
        (ev(20, 20), None, "germline"),  # blood only
        (ev(90, 10), ev(90, 10), "germline_mosaic"),  # 10 % in blood
        (ev(40, 0), ev(30, 30), "somatic"),
        (ev(40, 1), ev(60, 12), "somatic"),  # one stray read tolerated
        (None, ev(30, 30), "undetermined"),  # tumour only
        (ev(8, 0), ev(30, 30), "undetermined"),  # normal too shallow
        (ev(95, 3), ev(30, 30), "undetermined"),  # 3 % in normal: neither absent nor mosaic
    ],
)
def test_origin_table(
    normal: SampleEvidence | None, tumor: SampleEvidence | None, origin: str
) -> None:
    o = decide(normal, tumor)
    assert o.origin == origin
    assert o.detected
    assert o.evidence and all(e.startswith("ORIGIN_") for e in o.evidence)


def test_loh_evidence_names_the_gain() -> None:
    o = decide(ev(20, 20), ev(8, 52))
    assert any(e.startswith("ORIGIN_LOH_SECOND_HIT") and "+0.3667" in e and "p=8.2e-05" in e
               for e in o.evidence)


def test_not_detected_reference_call() -> None:
    o = decide(ev(40, 0), ev(50, 0))
    assert not o.detected and "ORIGIN_NOT_DETECTED" in o.evidence


def test_thresholds_are_configurable() -> None:
    strict = DEFAULT_RULES.replace(min_normal_depth=50)
    assert decide(ev(40, 0), ev(30, 30)).origin == "somatic"
    assert decide(ev(40, 0), ev(30, 30), strict).origin == "undetermined"
    loose = Rules.from_mapping(
        {"loh_min_vaf_gain": 0.05, "loh_min_tumor_vaf": 0.55, "loh_max_p_value": 1.0}
    )
    assert decide(ev(20, 20), ev(40, 60), loose).origin == "germline_loh"
    assert decide(ev(20, 20), ev(40, 60)).origin == "germline"


def test_unknown_rule_rejected() -> None:
    from variant_calling.errors import UsageError

    with pytest.raises(UsageError):
        Rules.from_mapping({"no_such_rule": 1})


def test_states() -> None:
    r = DEFAULT_RULES
    assert normal_state(None, r) == "no_normal"
    assert normal_state(SampleEvidence(None, None, None, None), r) == "no_counts"
    assert normal_state(ev(5, 5), r) == "shallow"
    assert tumor_state(ev(5, 0), r) == "shallow"
    assert tumor_state(ev(5, 3), r) == "present"  # presence does not need depth
    assert tumor_state(ev(50, 0), r) == "absent"


def test_fisher_exact_known_values() -> None:
    from variant_calling.origin import fisher_greater

    assert fisher_greater(3, 1, 1, 3) == pytest.approx(0.242857, rel=1e-5)  # textbook table
    assert fisher_greater(10, 0, 0, 10) == pytest.approx(1 / 184756)
    assert fisher_greater(0, 10, 10, 0) == pytest.approx(1.0)


def test_shallow_tumour_gain_is_not_loh() -> None:
    o = decide(ev(10, 10), ev(2, 8))  # VAF 0.5 -> 0.8 on 10 reads: p ~ 0.12
    assert o.origin == "germline"
    assert any(e.startswith("ORIGIN_LOH_NOT_SIGNIFICANT") for e in o.evidence)
    assert decide(ev(20, 20), ev(8, 52)).origin == "germline_loh"
