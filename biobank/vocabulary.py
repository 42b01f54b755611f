"""The one vocabulary of coded values shown to people: specimen types, containers, statuses.

Codes are stored; labels are looked up here (and translated through gettext) so that no page
spells a type or status its own way.
"""

from __future__ import annotations

from typing import Final

SPECIMEN_TYPES: Final[dict[str, str]] = {
    "whole_blood_edta": "Whole blood (EDTA)",
    "serum": "Serum",
    "plasma": "Plasma",
    "buffy_coat": "Buffy coat",
    "germline_dna": "Germline DNA",
    "ffpe_block": "FFPE block",
    "ffpe_slides": "FFPE slides",
    "ffpe_curls": "FFPE curls",
    "fresh_frozen_tissue": "Fresh-frozen tissue",
    "tumour_dna": "Tumour DNA",
}

# Types that live frozen: a return from check-out counts as a freeze-thaw cycle.
FROZEN_TYPES: Final[frozenset[str]] = frozenset(
    {"serum", "plasma", "buffy_coat", "germline_dna", "tumour_dna", "fresh_frozen_tissue",
     "whole_blood_edta"}
)

CONTAINERS: Final[dict[str, str]] = {
    "edta_tube_4ml": "EDTA tube 4 mL",
    "edta_tube_10ml": "EDTA tube 10 mL",
    "serum_tube": "Serum tube",
    "cryovial_2ml": "Cryovial 2 mL",
    "cryovial_0_5ml": "Cryovial 0.5 mL",
    "ffpe_cassette": "FFPE cassette",
    "slide": "Glass slide",
    "slide_mailer": "Slide mailer",
    "microtube_1_5ml": "Microtube 1.5 mL",
}

STATUSES: Final[dict[str, str]] = {
    "expected": "Expected",
    "collected": "Collected",
    "in_transit": "In transit",
    "received": "Received",
    "stored": "Stored",
    "checked_out": "Checked out",
    "consumed": "Consumed",
    "disposed": "Disposed",
    "lost": "Lost",
}

UNITS: Final[tuple[str, ...]] = ("mL", "µL", "µg", "ng", "block", "slide", "curl", "mg")

# SPREC v3 sample-type codes for the types we hold (ISBER; "X" where SPREC has no code).
SPREC_TYPE: Final[dict[str, str]] = {
    "whole_blood_edta": "BLD",
    "serum": "SER",
    "plasma": "PL1",
    "buffy_coat": "BFF",
    "germline_dna": "DNA",
    "tumour_dna": "DNA",
    "ffpe_block": "FFP",
    "ffpe_slides": "FFP",
    "ffpe_curls": "FFP",
    "fresh_frozen_tissue": "TIS",
}

SPREC_CONTAINER: Final[dict[str, str]] = {
    "edta_tube_4ml": "PED",
    "edta_tube_10ml": "PED",
    "serum_tube": "SST",
}


def label(vocabulary: dict[str, str], code: str) -> str:
    return vocabulary.get(code, code)
