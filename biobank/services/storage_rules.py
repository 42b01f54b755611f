"""Where each specimen type may be stored, as data: specimen type × storage temperature → ok,
warn (a deviation: stored only once someone acknowledges it, and that is audited) or refuse
(the specimen would be ruined). The reasons and sources are in docs/storage-rules.md; change
the table there and here together.

The temperature of a place is the temperature of the unit that holds it (a −80 °C freezer, an
ambient FFPE cabinet …); a box on no unit has no known temperature and no rule applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from ..i18n import N_

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


def rule_for(specimen_type: str, temperature: str | None) -> Rule | None:
    """The rule for storing this type at this temperature, or None where none applies."""
    if temperature is None:
        return None
    rule = RULES.get(specimen_type, {}).get(temperature)
    return rule if rule is not None and rule.outcome != "ok" else None
