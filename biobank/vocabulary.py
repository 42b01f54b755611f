"""The one vocabulary of coded values shown to people: specimen types, containers, statuses.

Codes are stored; labels are looked up here (and translated through gettext) so that no page
spells a type or status its own way.
"""

from __future__ import annotations

from typing import Final

from .i18n import N_  # marks labels for the catalogue; pages show them as _(label(...))

SPECIMEN_TYPES: Final[dict[str, str]] = {
    "whole_blood_edta": N_("Whole blood (EDTA)"),
    "serum": N_("Serum"),
    "plasma": N_("Plasma"),
    "buffy_coat": N_("Buffy coat"),
    "germline_dna": N_("Germline DNA"),
    "ffpe_block": N_("FFPE block"),
    "ffpe_slides": N_("FFPE slides"),
    "ffpe_curls": N_("FFPE curls"),
    "fresh_frozen_tissue": N_("Fresh-frozen tissue"),
    "tumour_dna": N_("Tumour DNA"),
}

# Types that live frozen: a return from check-out counts as a freeze-thaw cycle.
FROZEN_TYPES: Final[frozenset[str]] = frozenset(
    {"serum", "plasma", "buffy_coat", "germline_dna", "tumour_dna", "fresh_frozen_tissue",
     "whole_blood_edta"}
)

CONTAINERS: Final[dict[str, str]] = {
    "edta_tube_4ml": N_("EDTA tube 4 mL"),
    "edta_tube_10ml": N_("EDTA tube 10 mL"),
    "serum_tube": N_("Serum tube"),
    "cryovial_2ml": N_("Cryovial 2 mL"),
    "cryovial_0_5ml": N_("Cryovial 0.5 mL"),
    "ffpe_cassette": N_("FFPE cassette"),
    "slide": N_("Glass slide"),
    "slide_mailer": N_("Slide mailer"),
    "microtube_1_5ml": N_("Microtube 1.5 mL"),
}

STATUSES: Final[dict[str, str]] = {
    "expected": N_("Expected"),
    "collected": N_("Collected"),
    "in_transit": N_("In transit"),
    "received": N_("Received"),
    "stored": N_("Stored"),
    "checked_out": N_("Checked out"),
    "consumed": N_("Consumed"),
    "disposed": N_("Disposed"),
    "lost": N_("Lost"),
}

UNITS: Final[tuple[str, ...]] = ("mL", "µL", "µg", "ng", "block", "slide", "curl", "mg")

# SPREC sample-type codes for the types we hold (sources and gaps: docs/sprec.md). FFPE is
# solid tissue whose fixation (NBF) and storage (paraffin block) elements say it is FFPE.
SPREC_TYPE: Final[dict[str, str]] = {
    "whole_blood_edta": "BLD",
    "serum": "SER",
    "plasma": "PL1",
    "buffy_coat": "BFF",
    "germline_dna": "DNA",
    "tumour_dna": "DNA",
    "ffpe_block": "TIS",
    "ffpe_slides": "TIS",
    "ffpe_curls": "TIS",
    "fresh_frozen_tissue": "TIS",
}

SPREC_CONTAINER: Final[dict[str, str]] = {
    "edta_tube_4ml": "PED",
    "edta_tube_10ml": "PED",
    "serum_tube": "SST",
}


def label(vocabulary: dict[str, str], code: str) -> str:
    return vocabulary.get(code, code)
