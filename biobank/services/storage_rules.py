"""Where each specimen type may be stored, as data, in two tables: specimen type × storage
temperature, and specimen type × kind of box, each pair → ok, warn (a deviation: stored only
once someone acknowledges it, and that is audited) or refuse (the specimen would be ruined, or
does not belong in that box at all). The reasons and sources are in docs/storage-rules.md; a
test keeps the tables there equal to these.

The temperature of a place is the temperature of the unit that holds it (a −80 °C freezer, an
ambient FFPE cabinet …); a box on no unit has no known temperature and no temperature rule
applies. The kind of a box follows from its type (a 9×9 cryobox is a cryobox wherever it
stands), so the box-kind rules apply to every box.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from ..i18n import CLAUSE_SEPARATOR, N_, joined, term

Outcome = Literal["ok", "warn", "refuse"]

#: Temperature classes, named by the range the unit holds (the SPREC v3 storage bands).
TEMPERATURES: Final[dict[str, str]] = {
    "ambient": N_("room temperature (15–25 °C)"),
    "fridge": N_("2–10 °C"),
    "minus20": N_("−35 to −18 °C"),
    "minus80": N_("−85 to −60 °C"),
    "ln2": N_("liquid nitrogen (below −135 °C)"),
}

#: The temperature class of each kind of storage unit.
UNIT_TEMPERATURE: Final[dict[str, str]] = {
    "freezer_minus80": "minus80",
    "freezer_minus20": "minus20",
    "ln2_tank": "ln2",
    "fridge_4c": "fridge",
    "ffpe_cabinet": "ambient",
}

#: Kinds of box, by what their positions are made to hold.
BOX_KINDS: Final[dict[str, str]] = {
    "cryobox": N_("cryobox or tube rack"),
    "slide_box": N_("slide box"),
    "block_box": N_("FFPE block box"),
}

#: The kind of each box type (services/storage.py BOX_TYPES).
BOX_TYPE_KIND: Final[dict[str, str]] = {
    "cryobox_9x9": "cryobox",
    "cryobox_10x10": "cryobox",
    "rack_8x12": "cryobox",
    "slide_box_25": "slide_box",
    "slide_box_100": "slide_box",
    "block_box_5x10": "block_box",
}


@dataclass(frozen=True)
class Rule:
    outcome: Outcome
    #: Why, shown to the technician (a gettext message; see docs/storage-rules.md).
    reason: str


_FFPE_OK = Rule("ok", "")
_COLD_OK = Rule("ok", "")
_FFPE_COLD = Rule("warn", N_(
    "paraffin blocks and slides are kept at room temperature; cold storage is a deviation "
    "(condensation when taken out)"))
_FFPE_FROZEN = Rule("refuse", N_(
    "paraffin cracks and the tissue section is lost at −60 °C and below; store FFPE "
    "material in a room-temperature block cabinet"))
_FLUID_MINUS20 = Rule("warn", N_(
    "blood derivatives are kept at −60 °C or colder; −20 °C is a deviation (proteins and "
    "nucleic acids degrade faster)"))
_FLUID_THAWED = Rule("refuse", N_(
    "serum, plasma and buffy coat are not stored unfrozen; the sample degrades within days"))
_DNA_MINUS20 = Rule("warn", N_(
    "DNA is kept at −60 °C or colder for the long term; −20 °C is a deviation"))
_DNA_UNFROZEN = Rule("warn", N_(
    "DNA in solution is kept frozen for the long term; unfrozen storage is a deviation"))
_WB_FRIDGE = Rule("warn", N_(
    "whole blood waits at 2–10 °C only until DNA is extracted (days); long-term storage is "
    "frozen"))
_WB_AMBIENT = Rule("refuse", N_(
    "whole blood is not stored at room temperature; it clots and lyses"))
_WB_LN2 = Rule("warn", N_(
    "a blood-collection tube is not made for liquid nitrogen and may crack; store it at "
    "−80 °C or aliquot it into cryovials first"))
_TISSUE_MINUS20 = Rule("warn", N_(
    "fresh-frozen tissue is kept at −60 °C or colder; −20 °C is a deviation (RNA degrades)"))
_TISSUE_THAWED = Rule("refuse", N_(
    "fresh-frozen tissue thaws and is ruined above freezing"))

#: specimen type → temperature class → rule. A pair not listed is allowed.
RULES: Final[dict[str, dict[str, Rule]]] = {
    **{t: {"ambient": _FFPE_OK, "fridge": _FFPE_COLD, "minus20": _FFPE_COLD,
           "minus80": _FFPE_FROZEN, "ln2": _FFPE_FROZEN}
       for t in ("ffpe_block", "ffpe_slides", "ffpe_curls")},
    **{t: {"minus80": _COLD_OK, "ln2": _COLD_OK, "minus20": _FLUID_MINUS20,
           "fridge": _FLUID_THAWED, "ambient": _FLUID_THAWED}
       for t in ("serum", "plasma", "buffy_coat")},
    **{t: {"minus80": _COLD_OK, "ln2": _COLD_OK, "minus20": _DNA_MINUS20,
           "fridge": _DNA_UNFROZEN, "ambient": _DNA_UNFROZEN}
       for t in ("germline_dna", "tumour_dna")},
    "whole_blood_edta": {"minus80": _COLD_OK, "minus20": _COLD_OK, "fridge": _WB_FRIDGE,
                         "ambient": _WB_AMBIENT, "ln2": _WB_LN2},
    "fresh_frozen_tissue": {"minus80": _COLD_OK, "ln2": _COLD_OK,
                            "minus20": _TISSUE_MINUS20, "fridge": _TISSUE_THAWED,
                            "ambient": _TISSUE_THAWED},
}

_IN_ITS_BOX = Rule("ok", "")
_BLOCK_ELSEWHERE = Rule("refuse", N_(
    "an FFPE block is filed in a block box (a cassette drawer); it does not fit the positions "
    "of a tube or slide box, and the box map would not say where it is"))
_SLIDES_ELSEWHERE = Rule("refuse", N_(
    "slides are kept upright in the slots of a slide box; a tube or block box has no slot "
    "that holds them apart"))
_TUBE_IN_SLIDE_BOX = Rule("refuse", N_(
    "a tube does not fit the slots of a slide box; store it in a cryobox or tube rack"))
_TUBE_IN_BLOCK_BOX = Rule("refuse", N_(
    "a block box's positions are made for cassettes; a tube of blood, a derivative or frozen "
    "tissue is stored in a cryobox or tube rack"))
_CURLS_IN_BLOCK_BOX = Rule("warn", N_(
    "FFPE curls are kept in their closed tube in a cryobox or tube rack; filing the tube in a "
    "block box is a deviation"))

_TUBES = ("whole_blood_edta", "serum", "plasma", "buffy_coat", "germline_dna", "tumour_dna",
          "fresh_frozen_tissue")

#: specimen type → kind of box → rule. A pair not listed is allowed.
BOX_RULES: Final[dict[str, dict[str, Rule]]] = {
    "ffpe_block": {"block_box": _IN_ITS_BOX, "cryobox": _BLOCK_ELSEWHERE,
                   "slide_box": _BLOCK_ELSEWHERE},
    "ffpe_slides": {"slide_box": _IN_ITS_BOX, "cryobox": _SLIDES_ELSEWHERE,
                    "block_box": _SLIDES_ELSEWHERE},
    "ffpe_curls": {"cryobox": _IN_ITS_BOX, "slide_box": _TUBE_IN_SLIDE_BOX,
                   "block_box": _CURLS_IN_BLOCK_BOX},
    **{t: {"cryobox": _IN_ITS_BOX, "slide_box": _TUBE_IN_SLIDE_BOX,
           "block_box": _TUBE_IN_BLOCK_BOX}
       for t in _TUBES},
}


def rule_for(specimen_type: str, temperature: str | None,
             box_kind: str | None = None) -> Rule | None:
    """The rule broken by storing this type at this temperature in this kind of box, or None
    where none is (an unknown temperature or kind decides nothing). Where both tables object,
    the graver outcome decides and its reasons are all given: a refusal is not made an
    acknowledgeable warning by the other table's milder word."""
    found = [rule for rule in (
        RULES.get(specimen_type, {}).get(temperature) if temperature else None,
        BOX_RULES.get(specimen_type, {}).get(box_kind) if box_kind else None,
    ) if rule is not None and rule.outcome != "ok"]
    if not found:
        return None
    outcome: Outcome = "refuse" if any(r.outcome == "refuse" for r in found) else "warn"
    reasons = [r.reason for r in found if r.outcome == outcome]
    if len(reasons) == 1:
        return Rule(outcome, reasons[0])
    return Rule(outcome, joined((term(r) for r in reasons), CLAUSE_SEPARATOR))
