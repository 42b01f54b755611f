"""The SPREC v3 code of a specimen, element by element, from what the bench recorded.

The code tables are transcribed in docs/sprec.md with where each came from; an element whose
basis was not recorded is ``X`` (unknown) and says why. SPREC codes primary samples and their
simple derivatives; DNA, a complex derivative, has no seven-element code of its own and shows
the code of the sample it was extracted from (``coded_specimen``).
What the bench records (centrifugation, temperatures while waiting, the pathology record of
residual tissue) is kept in ``Specimen.preanalytics`` and checked here.

Fluid code:  type - primary container - pre-centrifugation - centrifugation - second
             centrifugation - post-centrifugation - long-term storage
Solid code:  type - collection - warm ischaemia - cold ischaemia - fixative - fixation time
             - long-term storage
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from .. import vocabulary
from ..errors import PermissionDenied, ValidationError
from ..i18n import N_, Msg, term
from ..models import Specimen, StoragePosition, User
from . import access, audit, storage, storage_rules

#: Complex derivatives (extracted with reagents): outside SPREC's seven-element code.
COMPLEX_DERIVATIVES: Final = frozenset({"germline_dna", "tumour_dna"})
SOLID_TYPES: Final = frozenset({"ffpe_block", "ffpe_slides", "ffpe_curls",
                                "fresh_frozen_tissue"})

# --- the tables (docs/sprec.md says where each row comes from) ---------------------------------

#: Temperatures the bench picks while a tube waits (SPREC's bands).
WAIT_TEMPERATURES: Final[dict[str, str]] = {
    "rt": N_("Room temperature"),
    "cold": N_("2–10 °C"),
    "body": N_("35–38 °C"),
}
CENTRIFUGE_TEMPERATURES: Final[dict[str, str]] = {"rt": N_("Room temperature"),
                                                   "cold": N_("2–10 °C")}

#: Pre-centrifugation: (temperature, delay upper bound in hours, exclusive) → code.
PRE_CENTRIFUGATION: Final[dict[str, tuple[tuple[float, str], ...]]] = {
    "rt": ((2, "A"), (4, "C"), (8, "E"), (12, "G"), (24, "I"), (48, "K"), (float("inf"), "M")),
    "cold": ((2, "B"), (4, "D"), (8, "F"), (12, "H"), (24, "J"), (48, "L"),
             (float("inf"), "N")),
    "body": ((2, "O"),),
}
#: Post-centrifugation: (temperature, delay upper bound in hours) → code.
POST_CENTRIFUGATION: Final[dict[str, tuple[tuple[float, str], ...]]] = {
    "cold": ((1, "A"), (2, "C"), (8, "E"), (24, "G"), (float("inf"), "I")),
    "rt": ((1, "B"), (2, "D"), (8, "F"), (24, "H"), (float("inf"), "J")),
}
#: Centrifugation: (temperature, g band, braking) for 10–15 min → code; g bands are
#: "<3000", "3000-6000", "6000-10000", ">10000".
CENTRIFUGATION: Final[dict[tuple[str, str, bool], str]] = {
    ("rt", "<3000", False): "A", ("rt", "<3000", True): "B",
    ("cold", "<3000", False): "C", ("cold", "<3000", True): "D",
    ("rt", "3000-6000", True): "E", ("cold", "3000-6000", True): "F",
    ("rt", "6000-10000", True): "G", ("cold", "6000-10000", True): "H",
    ("rt", ">10000", True): "I", ("cold", ">10000", True): "J",
}
#: Room temperature, 30 min, under 1000 g, no braking (the one row outside 10–15 min).
CENTRIFUGATION_SLOW: Final = "M"

COLLECTION_TYPES: Final[dict[str, str]] = {
    "SRG": N_("Surgical excision"),
    "SSL": N_("Surgical excision in normal saline or phosphate-buffered saline"),
    "STM": N_("Surgical excision in tissue low-temperature transport medium"),
    "SCM": N_("Surgical excision in culture medium"),
    "VAC": N_("Surgical excision in vacuum container"),
    "BPS": N_("Biopsy"),
    "BSL": N_("Biopsy in normal saline or phosphate-buffered saline"),
    "BTM": N_("Biopsy in tissue low-temperature transport medium"),
    "BCM": N_("Biopsy in culture medium"),
    "FNA": N_("Fine-needle aspirate"),
    "PUN": N_("Punction"),
    "SWB": N_("Swab"),
    "A06": N_("Autopsy < 6 h post-mortem"),
    "A12": N_("Autopsy 6–12 h post-mortem"),
    "A24": N_("Autopsy 12–24 h post-mortem"),
    "A48": N_("Autopsy 24–48 h post-mortem"),
    "A72": N_("Autopsy 48–72 h post-mortem"),
    "ZZZ": N_("Other"),
}
#: Collection types for which warm ischaemia is "not applicable (e.g. biopsy)" (code N).
NO_WARM_ISCHAEMIA: Final = frozenset({"BPS", "BSL", "BTM", "BCM", "FNA", "PUN", "SWB"})

FIXATIVES: Final[dict[str, str]] = {
    "NBF": N_("Neutral buffered formalin"),
    "FOR": N_("Non-buffered formalin"),
    "ALD": N_("Aldehyde-based"),
    "ETH": N_("Alcohol-based"),
    "ACA": N_("Non-aldehyde with acetic acid"),
    "NAA": N_("Non-aldehyde without acetic acid"),
    "PXT": N_("PAXgene tissue"),
    "ALL": N_("Allprotect tissue reagent"),
    "RNL": N_("RNAlater"),
    "HST": N_("Heat stabilisation"),
    "OCT": N_("Optimum cutting temperature medium"),
    "SNP": N_("Snap freezing"),
    "ZZZ": N_("Other"),
}
#: Warm and cold ischaemia: upper bound in minutes (exclusive) → code. One table for both: a
#: SPREC 2.0 implementation lists the same bands for each and a SPREC 3.0 one codes cold
#: ischaemia from its warm-ischaemia table (docs/sprec.md, sources).
ISCHAEMIA: Final = ((2, "A"), (10, "B"), (20, "C"), (30, "D"), (60, "E"), (float("inf"), "F"))
#: Fixation time: upper bound in hours (exclusive) → code; 72 h and longer has no row.
FIXATION_TIME: Final = ((0.25, "A"), (1, "B"), (4, "C"), (8, "D"), (24, "E"), (48, "F"),
                        (72, "G"))

#: Long-term storage: (container class, storage temperature) → code. The temperature classes
#: are those of services/storage_rules.py (the unit that holds the box).
LONG_TERM_STORAGE: Final[dict[tuple[str, str], str]] = {
    ("pp_0_5_2ml", "minus80"): "A", ("pp_0_5_2ml", "minus20"): "B",
    ("pp_0_5_2ml", "ln2"): "V",
    ("cryotube_1_2ml", "ln2"): "C", ("cryotube_1_2ml", "minus80"): "D",
    ("primary", "minus20"): "Y", ("primary", "minus80"): "Y",
    ("paraffin", "ambient"): "P", ("paraffin", "fridge"): "P", ("paraffin", "minus20"): "U",
}
#: Our containers, as SPREC's long-term storage containers.
CONTAINER_CLASS: Final[dict[str, str]] = {
    "cryovial_2ml": "cryotube_1_2ml",
    "cryovial_0_5ml": "pp_0_5_2ml",
    "microtube_1_5ml": "pp_0_5_2ml",
    "edta_tube_4ml": "primary",
    "edta_tube_10ml": "primary",
    "serum_tube": "primary",
    "ffpe_cassette": "paraffin",
}

# --- what the bench records ---------------------------------------------------------------------

#: Field → (kind, choices or bounds). Every field is optional.
FIELDS: Final[dict[str, tuple[str, Any]]] = {
    "pre_temperature": ("choice", WAIT_TEMPERATURES),
    "centrifuge_g": ("int", (1, 30000)),
    "centrifuge_minutes": ("int", (1, 120)),
    "centrifuge_temperature": ("choice", CENTRIFUGE_TEMPERATURES),
    "centrifuge_braking": ("flag", None),
    "second_centrifugation": ("flag", None),
    "centrifuge2_g": ("int", (1, 30000)),
    "centrifuge2_minutes": ("int", (1, 120)),
    "centrifuge2_temperature": ("choice", CENTRIFUGE_TEMPERATURES),
    "centrifuge2_braking": ("flag", None),
    "post_temperature": ("choice", CENTRIFUGE_TEMPERATURES),
    "collection_type": ("choice", COLLECTION_TYPES),
    "warm_ischaemia_minutes": ("int", (0, 1440)),
    "cold_ischaemia_minutes": ("int", (0, 10080)),
    "fixative": ("choice", FIXATIVES),
    "fixation_hours": ("decimal", (Decimal("0"), Decimal("2000"))),
}
FIELD_LABELS: Final[dict[str, str]] = {
    "pre_temperature": N_("Temperature before centrifugation"),
    "centrifuge_g": N_("Centrifugation: speed (× g)"),
    "centrifuge_minutes": N_("Centrifugation: duration (min)"),
    "centrifuge_temperature": N_("Centrifugation: temperature"),
    "centrifuge_braking": N_("Centrifugation: with braking"),
    "second_centrifugation": N_("Second centrifugation"),
    "centrifuge2_g": N_("Second centrifugation: speed (× g)"),
    "centrifuge2_minutes": N_("Second centrifugation: duration (min)"),
    "centrifuge2_temperature": N_("Second centrifugation: temperature"),
    "centrifuge2_braking": N_("Second centrifugation: with braking"),
    "post_temperature": N_("Temperature between centrifugation and freezing"),
    "collection_type": N_("Type of collection"),
    "warm_ischaemia_minutes": N_("Warm ischaemia (min)"),
    "cold_ischaemia_minutes": N_("Cold ischaemia (min)"),
    "fixative": N_("Fixative"),
    "fixation_hours": N_("Fixation time (h)"),
}
BLOOD_FIELDS: Final = tuple(k for k in FIELDS if k.startswith(("pre_", "centrifuge",
                                                                 "second_", "post_")))
TISSUE_FIELDS: Final = ("collection_type", "warm_ischaemia_minutes", "cold_ischaemia_minutes",
                        "fixative", "fixation_hours")


def fields_for(specimen: Specimen) -> tuple[str, ...]:
    if specimen.specimen_type in COMPLEX_DERIVATIVES:
        return ()  # its processing is that of the sample it came from, recorded there
    return TISSUE_FIELDS if specimen.specimen_type in SOLID_TYPES else BLOOD_FIELDS


def record(session: Session, actor: User, specimen: Specimen,
           values: dict[str, Any]) -> dict[str, Any]:
    """Record (or change) what the bench knows; ``None`` clears a field. Refuses a field that
    does not belong to this kind of specimen. Audited, old → new."""
    access.require_write(actor)
    if not (actor.sees_all_sites or actor.site_id == specimen.site_id):
        raise PermissionDenied(
            "%(specimen)s is held by %(site)s: only its staff or central staff may record "
            "its processing", specimen=specimen.barcode, site=specimen.site.code,
            code="not_holder")
    allowed = fields_for(specimen)
    old = dict(specimen.preanalytics or {})
    new = dict(old)
    for key, value in values.items():
        if key not in allowed:
            raise ValidationError("%(field)s does not apply to a %(type)s",
                                  field=key, type=specimen.specimen_type, code="bad_field")
        if value is None:
            new.pop(key, None)
            continue
        kind, spec = FIELDS[key]
        if kind == "choice" and value not in spec:
            raise ValidationError("%(field)s: choose one of %(choices)s", field=key,
                                  choices=", ".join(spec), code="bad_choice")
        if kind == "flag":
            value = bool(value)
        if kind in {"int", "decimal"}:
            low, high = spec
            if not low <= value <= high:
                raise ValidationError("%(field)s: must be between %(low)s and %(high)s",
                                      field=key, low=low, high=high, code="out_of_range")
            value = int(value) if kind == "int" else str(value)
        new[key] = value
    if new == old:
        return new
    specimen.preanalytics = new
    session.flush()
    changed = {k: [old.get(k), new.get(k)] for k in sorted(set(old) | set(new))
               if old.get(k) != new.get(k)}
    audit.record(session, actor, "specimen.preanalytics", "specimen", specimen.barcode,
                 changed)
    return new


# --- the code -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Element:
    name: str      # which element (a gettext message)
    code: str
    meaning: str   # what the code says, or why it is unknown (a gettext format)
    params: dict[str, Any]

    @property
    def message(self) -> Msg:
        """The meaning with its params, each word translatable where the page shows it."""
        return Msg(self.meaning, **{k: term(v) if isinstance(v, str) else v
                                    for k, v in self.params.items()})


def _band(value: float, bands: tuple[tuple[float, str], ...]) -> str | None:
    for limit, code in bands:
        if value < limit:
            return code
    return None


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() / 3600


def _g_band(g: int) -> str:
    if g < 3000:
        return "<3000"
    if g <= 6000:
        return "3000-6000"
    if g <= 10000:
        return "6000-10000"
    return ">10000"


def _centrifugation(pa: dict[str, Any], prefix: str) -> tuple[str, str, dict[str, Any]]:
    g, minutes = pa.get(f"{prefix}_g"), pa.get(f"{prefix}_minutes")
    temp, brake = pa.get(f"{prefix}_temperature"), pa.get(f"{prefix}_braking")
    if g is None or minutes is None or temp is None or brake is None:
        return "X", N_("speed, duration, temperature or braking not recorded"), {}
    params = {"g": g, "minutes": minutes, "temperature": WAIT_TEMPERATURES[temp],
              "braking": N_("with braking") if brake else N_("no braking")}
    meaning = N_("%(g)s g, %(minutes)s min, %(temperature)s, %(braking)s")
    if temp == "rt" and minutes == 30 and g < 1000 and not brake:
        return CENTRIFUGATION_SLOW, meaning, params
    code = CENTRIFUGATION.get((temp, _g_band(g), bool(brake))) if 10 <= minutes <= 15 else None
    if code is None:
        return "Z", N_("%(g)s g, %(minutes)s min, %(temperature)s, %(braking)s: no SPREC row "
                       "for this combination (other)"), params
    return code, meaning, params


def storage_temperature(specimen: Specimen) -> str | None:
    """The temperature class where the specimen is stored now, or None."""
    if specimen.status not in {"stored", "checked_out"}:
        return None
    session = object_session(specimen)
    if session is None:
        return None
    pos = session.execute(select(StoragePosition).where(
        StoragePosition.specimen_id == specimen.id)).scalar_one_or_none()
    return storage.temperature_of(pos.box) if pos is not None else None


def _long_term_storage(specimen: Specimen) -> Element:
    name = N_("Long-term storage")
    temperature = storage_temperature(specimen)
    if temperature is None:
        return Element(name, "X", N_("not stored (or stored on no unit of known temperature)"),
                       {})
    container = CONTAINER_CLASS.get(specimen.container)
    params = {"container": vocabulary.label(vocabulary.CONTAINERS, specimen.container),
              "temperature": storage_rules.TEMPERATURES[temperature]}
    code = LONG_TERM_STORAGE.get((container, temperature)) if container else None
    if code is None:
        return Element(name, "Z", N_("%(container)s at %(temperature)s: no SPREC row for "
                                     "this container and temperature (other)"), params)
    return Element(name, code, N_("%(container)s at %(temperature)s"), params)


def _delay(name: str, start: datetime | None, end: datetime | None, temp: str | None,
           bands: dict[str, tuple[tuple[float, str], ...]], what: str) -> Element:
    hours = _hours(start, end)
    if hours is None:
        return Element(name, "X", what, {})
    if temp is None:
        return Element(name, "X", N_("%(hours)s h; the temperature while waiting was not "
                                     "recorded"), {"hours": f"{hours:.1f}"})
    code = _band(hours, bands.get(temp, ()))
    params = {"hours": f"{hours:.1f}", "temperature": WAIT_TEMPERATURES[temp]}
    if code is None:
        return Element(name, "X", N_("%(hours)s h at %(temperature)s: no SPREC row"), params)
    return Element(name, code, N_("%(hours)s h at %(temperature)s"), params)


def _fluid(specimen: Specimen, pa: dict[str, Any]) -> list[Element]:
    stype = vocabulary.SPREC_TYPE.get(specimen.specimen_type, "XXX")
    line = _lineage(specimen)
    # The primary container is the collection tube, for an aliquot its ancestor's.
    primary = next((sp for sp in line if sp.container in vocabulary.SPREC_CONTAINER), None)
    collected = next((sp.collected_at for sp in line if sp.collected_at), None)
    centrifuged = next((sp.centrifuged_at for sp in line if sp.centrifuged_at), None)
    frozen = next((sp.frozen_at for sp in line if sp.frozen_at), None)
    out = [Element(N_("Type of sample"), stype,
                   vocabulary.label(vocabulary.SPECIMEN_TYPES, specimen.specimen_type), {})]
    if primary is None:
        out.append(Element(N_("Primary container"), "XXX",
                           N_("the collection tube is not on record"), {}))
    else:
        out.append(Element(N_("Primary container"),
                           vocabulary.SPREC_CONTAINER[primary.container],
                           vocabulary.label(vocabulary.CONTAINERS, primary.container), {}))
    out.append(_delay(N_("Pre-centrifugation"), collected, centrifuged,
                      pa.get("pre_temperature"), PRE_CENTRIFUGATION,
                      N_("collection or centrifugation time not recorded")))
    if specimen.specimen_type == "whole_blood_edta" and centrifuged is None:
        # Whole blood is not centrifuged: SPREC's "no centrifugation" and no delays after it.
        out += [Element(N_("Centrifugation"), "N", N_("not centrifuged"), {}),
                Element(N_("Second centrifugation"), "N", N_("not centrifuged"), {}),
                Element(N_("Post-centrifugation"), "N", N_("not centrifuged"), {})]
    else:
        code, meaning, params = _centrifugation(pa, "centrifuge")
        out.append(Element(N_("Centrifugation"), code, meaning, params))
        if pa.get("second_centrifugation") is False:
            out.append(Element(N_("Second centrifugation"), "N", N_("none"), {}))
        elif pa.get("second_centrifugation"):
            code, meaning, params = _centrifugation(pa, "centrifuge2")
            out.append(Element(N_("Second centrifugation"), code, meaning, params))
        else:
            out.append(Element(N_("Second centrifugation"), "X", N_("not recorded"), {}))
        out.append(_delay(N_("Post-centrifugation"), centrifuged, frozen,
                          pa.get("post_temperature"), POST_CENTRIFUGATION,
                          N_("centrifugation or freezing time not recorded")))
    out.append(_long_term_storage(specimen))
    return out


def _solid(specimen: Specimen, pa: dict[str, Any]) -> list[Element]:
    out = [Element(N_("Type of sample"), vocabulary.SPREC_TYPE.get(specimen.specimen_type,
                                                                   "XXX"),
                   vocabulary.label(vocabulary.SPECIMEN_TYPES, specimen.specimen_type), {})]
    collection = pa.get("collection_type")
    out.append(Element(N_("Type of collection"), collection, COLLECTION_TYPES[collection], {})
               if collection else Element(N_("Type of collection"), "XXX", N_("not recorded"),
                                          {}))
    warm = pa.get("warm_ischaemia_minutes")
    if warm is not None:
        out.append(Element(N_("Warm ischaemia"), _band(warm, ISCHAEMIA) or "X",
                           N_("%(minutes)s min"), {"minutes": warm}))
    elif collection in NO_WARM_ISCHAEMIA:
        out.append(Element(N_("Warm ischaemia"), "N", N_("not applicable (biopsy)"), {}))
    else:
        out.append(Element(N_("Warm ischaemia"), "X", N_("not recorded"), {}))
    cold = pa.get("cold_ischaemia_minutes")
    if cold is None:
        out.append(Element(N_("Cold ischaemia"), "X", N_("not recorded"), {}))
    else:
        out.append(Element(N_("Cold ischaemia"), _band(cold, ISCHAEMIA) or "X",
                           N_("%(minutes)s min"), {"minutes": cold}))
    fixative = pa.get("fixative")
    out.append(Element(N_("Fixation type"), fixative, FIXATIVES[fixative], {})
               if fixative else Element(N_("Fixation type"), "XXX", N_("not recorded"), {}))
    hours = pa.get("fixation_hours")
    if hours is None:
        out.append(Element(N_("Fixation time"), "X", N_("not recorded"), {}))
    else:
        code = _band(float(hours), FIXATION_TIME)
        out.append(Element(N_("Fixation time"), code or "Z",
                           N_("%(hours)s h") if code else N_("%(hours)s h: longer than the "
                                                             "table's 72 h (other)"),
                           {"hours": hours}))
    out.append(_long_term_storage(specimen))
    return out


def _lineage(specimen: Specimen) -> list[Specimen]:
    """The specimen and its ancestors, nearest first."""
    out = [specimen]
    while out[-1].parent is not None and out[-1].parent not in out:
        out.append(out[-1].parent)
    return out


def _recorded(specimen: Specimen) -> dict[str, Any]:
    """What the bench recorded for this specimen or, where it did not, for the tube it was
    taken from (an aliquot inherits the centrifugation of its collection tube)."""
    merged: dict[str, Any] = {}
    for sp in reversed(_lineage(specimen)):
        merged.update(sp.preanalytics or {})
    return merged


def coded_specimen(specimen: Specimen) -> Specimen | None:
    """The specimen whose SPREC code describes this one: itself, or for DNA (a complex
    derivative) the nearest sample it was extracted from; None when that is not on record."""
    return next((sp for sp in _lineage(specimen)
                 if sp.specimen_type not in COMPLEX_DERIVATIVES), None)


def elements(specimen: Specimen) -> list[Element]:
    """The seven elements of the specimen's SPREC code, each with what it means; none for DNA
    (a complex derivative: the page shows ``coded_specimen``'s instead)."""
    if specimen.specimen_type in COMPLEX_DERIVATIVES:
        return []
    pa = _recorded(specimen)
    if specimen.specimen_type in SOLID_TYPES:
        return _solid(specimen, pa)
    return _fluid(specimen, pa)


def code(specimen: Specimen) -> str | None:
    """The SPREC code; None for DNA, which SPREC's seven-element code does not cover."""
    els = elements(specimen)
    return "-".join(e.code for e in els) if els else None
