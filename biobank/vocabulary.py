"""The one vocabulary of coded values shown to people.

Codes are stored and are what the API answers; people read labels. Every coded word a page, a
PDF or a CSV header can show — specimen types, containers, statuses, variant origins,
classifications, oncogenicity tiers, assays, consequences, visits, label stocks, specimen
events, audit actions and the names of recorded fields — has its English label here, in a
*domain* (``DOMAINS``); the Chinese comes from the gettext catalogue (each label is a msgid).
Templates show a code with one filter, ``{{ value|term('origin') }}``; services and PDFs call
:func:`display` with their own gettext. A code missing from its domain reads as words
(``"stop_gained"`` → ``"stop gained"``), never as the raw code, and the vocabulary tests list
it.

A few tables stay with the area that validates them (shipment conditions, storage kinds, label
stocks); ``DOMAINS`` names them by module so there is still one place to look a code up.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from .i18n import N_, Msg, term

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
#: The units as read after a number ("1 block" / "1 块"); SI symbols are the same in both.
UNIT_LABELS: Final[dict[str, str]] = {
    "mL": "mL", "µL": "µL", "µg": "µg", "ng": "ng", "mg": "mg",
    "block": N_("block(s)"), "slide": N_("slide(s)"), "curl": N_("curl(s)"),
}

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


# --- genotyping --------------------------------------------------------------------------------

ASSAYS: Final[dict[str, str]] = {
    "panel": N_("Targeted panel"), "exome": N_("Exome"), "genome": N_("Genome"),
}
CLASSIFICATIONS: Final[dict[str, str]] = {
    "pathogenic": N_("Pathogenic"),
    "likely_pathogenic": N_("Likely pathogenic"),
    "uncertain_significance": N_("Uncertain significance"),
    "likely_benign": N_("Likely benign"),
    "benign": N_("Benign"),
}
ORIGINS: Final[dict[str, str]] = {
    "germline": N_("Germline"),
    "germline_loh": N_("Germline with loss of heterozygosity in the tumour"),
    "germline_mosaic": N_("Possible germline mosaic"),
    "somatic": N_("Somatic"),
    "undetermined": N_("Undetermined"),
}
ONCOGENICITIES: Final[dict[str, str]] = {
    "oncogenic": N_("Oncogenic"),
    "likely_oncogenic": N_("Likely oncogenic"),
    "uncertain_significance": N_("Uncertain significance"),
    "likely_benign": N_("Likely benign"),
    "benign": N_("Benign"),
}
#: What an uploaded sequencing file holds (GenotypingInput.role).
FILE_ROLES: Final[dict[str, str]] = {
    "paired": N_("Tumour/normal pair"), "normal": N_("Blood (normal)"), "tumor": N_("Tumour"),
    "cns": N_("Copy-number segments"),
}
#: The enrolment gate's answer (GateDecision.decision).
GATE_DECISIONS: Final[dict[str, str]] = {
    "eligible": N_("Eligible"), "not_eligible": N_("Not eligible"), "pending": N_("Pending"),
}
#: A participant's MEN1 status from the engine (variant_calling.qualify.men1_status).
MEN1_STATUSES: Final[dict[str, str]] = {
    "germline": N_("Germline MEN1 variant, pathogenic or likely pathogenic"),
    "somatic": N_("Somatic MEN1 variant in the tumour (oncogenic or pathogenic)"),
    "germline_and_somatic": N_("Germline and somatic MEN1 variants (pathogenic or likely "
                               "pathogenic)"),
    "undetermined_origin": N_("Harmful MEN1 variant of undetermined origin"),
    "vus_only": N_("Only variants of uncertain significance"),
    "none_detected": N_("No MEN1 variant detected"),
    "not_covered": N_("MEN1 not covered by the sequencing data: no result"),
}
#: Sequence Ontology consequence terms the MEN1 engine reports (variant_calling.locus.SEVERITY).
CONSEQUENCES: Final[dict[str, str]] = {
    "splice_acceptor_variant": N_("Splice acceptor variant"),
    "splice_donor_variant": N_("Splice donor variant"),
    "stop_gained": N_("Stop gained (nonsense)"),
    "frameshift_variant": N_("Frameshift"),
    "stop_lost": N_("Stop lost"),
    "start_lost": N_("Start lost"),
    "inframe_insertion": N_("In-frame insertion"),
    "inframe_deletion": N_("In-frame deletion"),
    "missense_variant": N_("Missense"),
    "splice_region_variant": N_("Splice region variant"),
    "synonymous_variant": N_("Synonymous"),
    "5_prime_UTR_variant": N_("5′ UTR variant"),
    "3_prime_UTR_variant": N_("3′ UTR variant"),
    "intron_variant": N_("Intronic"),
    "upstream_gene_variant": N_("Upstream of the gene"),
    "downstream_gene_variant": N_("Downstream of the gene"),
    "copy_number_loss": N_("Copy-number loss"),
    "copy_number_gain": N_("Copy-number gain"),
    "transcript_ablation": N_("Whole-gene deletion"),
    "transcript_amplification": N_("Whole-gene duplication"),
    "feature_truncation": N_("Partial-gene deletion"),
    "feature_elongation": N_("Partial-gene duplication"),
}
#: Visits of the trial's schedule by their code (services/trial.py SCHEDULE stores the English
#: name; people read it from here, so it is translated).
VISITS: Final[dict[str, str]] = {
    "SCR": N_("Screening"),
    "C1D1": N_("Cycle 1 day 1"),
    "EVAL": N_("Evaluation (every 2 cycles)"),
    "EOT": N_("End of treatment"),
    "FU": N_("Imaging follow-up (every 6 weeks)"),
}
ROLES: Final[dict[str, str]] = {
    "technician": N_("Technician"), "pathologist": N_("Molecular pathologist"),
    "coordinator": N_("Trial coordinator"), "monitor": N_("Monitor"),
    "admin": N_("Administrator"),
}
SCREENING_STATUSES: Final[dict[str, str]] = {
    "screening": N_("Screening"), "enrolled": N_("Enrolled"),
    "screen_failed": N_("Screen failed"), "withdrawn": N_("Withdrawn"),
    "completed": N_("Completed"),
}

# --- what happened to a specimen, and the audit trail -----------------------------------------

#: Specimen event kinds (models.specimen.SpecimenEvent.kind), as a history line reads them.
EVENTS: Final[dict[str, str]] = {
    # Nouns: a history line reads "Receipt → Received" (the event, then the status it led to).
    "collect": N_("Collection"),
    "ship": N_("Dispatch"),
    "receive": N_("Receipt"),
    "store": N_("Storage"),
    "check_out": N_("Check-out"),
    "check_in": N_("Check-in"),
    "consume": N_("Used up"),
    "dispose": N_("Disposal"),
    "lose": N_("Loss"),
    "label_printed": N_("Label printed"),
    "corrected": N_("Recorded data corrected"),
    "derived": N_("Made from a parent specimen"),
    "derivative_taken": N_("Aliquot or derivative taken"),
    "rack_scan_missing": N_("Missing in a rack scan"),
}

#: Audit actions (``audit.record(..., action, ...)``); the tests check every action the code
#: can write is here.
AUDIT_ACTIONS: Final[dict[str, str]] = {
    "enrollment.criteria_record": N_("Eligibility criteria recorded"),
    "enrollment.decision": N_("Enrolment decision"),
    "genotyping.analysis_create": N_("Analysis created"),
    "genotyping.outside_create": N_("Outside result recorded"),
    "genotyping.mlpa_create": N_("MLPA result recorded"),
    "genotyping.classification_failed": N_("Classification failed"),
    "genotyping.classification_requeued": N_("Classification queued again"),
    "genotyping.classification_retry": N_("Classification retried"),
    "genotyping.classified": N_("Classified"),
    "genotyping.confirm": N_("Variant confirmed"),
    "genotyping.file_upload": N_("File uploaded"),
    "genotyping.override": N_("Classification overridden"),
    "genotyping.report_sign": N_("Report signed"),
    "genotyping.report_amend": N_("Report amended"),
    "genotyping.rereview_suggested": N_("Engine suggested a re-review"),
    "label.print": N_("Labels printed"),
    "label.shipping": N_("Shipping label printed"),
    "kit.override": N_("Kit prepared before its visit (override)"),
    "site.contact": N_("Site address and contact recorded"),
    "specimen.preanalytics": N_("Processing record saved"),
    "specimen.scanned_at_other_site": N_("Scanned at another site"),
    "storage.deviation_acknowledged": N_("Storage deviation acknowledged"),
    "label.reprint": N_("Label reprinted"),
    "participant.create": N_("Participant registered"),
    "participant.status": N_("Participant status changed"),
    "shipment.create": N_("Shipment created"),
    "shipment.update": N_("Shipment details changed"),
    "shipment.pack": N_("Tube packed"),
    "shipment.unpack": N_("Tube taken out of the shipment"),
    "shipment.extra": N_("Extra tube noted"),
    "shipment.receipt_start": N_("Receipt started"),
    "shipment.resolve": N_("Discrepancy resolved"),
    "shipment.draft": N_("Shipment reopened"),
    "shipment.ready": N_("Shipment ready to ship"),
    "shipment.shipped": N_("Shipment shipped"),
    "shipment.partially_received": N_("Shipment partly received"),
    "shipment.received": N_("Shipment received"),
    "shipment.closed": N_("Shipment closed"),
    "shipment.cancelled": N_("Shipment cancelled"),
    "shipment.lost": N_("Shipment lost"),
    "shipment.item_received": N_("Tube received"),
    "shipment.item_damaged": N_("Tube received damaged"),
    "shipment.item_missing": N_("Tube missing"),
    "shipment.item_extra": N_("Extra tube received"),
    "shipment.item_packed": N_("Tube packed"),
    "specimen.create": N_("Specimen registered"),
    "specimen.correct": N_("Recorded data corrected"),
    "specimen.derive": N_("Aliquot or derivative made"),
    "specimen.quantity_taken": N_("Quantity taken"),
    **{f"specimen.{k}": v for k, v in EVENTS.items()
       if k in ("collect", "ship", "receive", "store", "check_out", "check_in", "consume",
                "dispose", "lose")},
    "storage.box_create": N_("Box created"),
    "storage.box_move": N_("Box moved"),
    "storage.free": N_("Position freed"),
    "storage.location_create": N_("Storage location created"),
    "storage.location_move": N_("Storage location moved"),
    "storage.rack_import": N_("Rack scan imported"),
    "storage.rack_missing": N_("Missing in a rack scan"),
    "token.create": N_("API token created"),
    "token.revoke": N_("API token revoked"),
    "trial.create": N_("Trial set up"),
    "user.create": N_("User created"),
    "user.update": N_("User changed"),
    "user.unlock": N_("User unlocked"),
    "user.login_blocked": N_("Sign-in blocked"),
    "user.signature_refused": N_("Signature refused"),
}

#: The kinds of record an audit event is about (``AuditEvent.entity_type``).
RECORDS: Final[dict[str, str]] = {
    "api_token": N_("API token"),
    "genotyping_analysis": N_("Analysis"),
    "genotyping_file": N_("Sequencing file"),
    "genotyping_report": N_("Report"),
    "genotyping_variant": N_("Variant"),
    "participant": N_("Participant"),
    "shipment": N_("Shipment"),
    "site": N_("Site"),
    "specimen": N_("Specimen"),
    "storage_box": N_("Box"),
    "storage_location": N_("Storage location"),
    "trial": N_("Trial"),
    "user": N_("User"),
}

#: Names of recorded fields: the correction form, a history line's changes, an event's detail.
FIELDS: Final[dict[str, str]] = {
    "status": N_("Status"),
    "site": N_("Site"),
    "freeze_thaw_count": N_("Freeze–thaw cycles"),
    "collected_at": N_("Collected at"),
    "collected_by": N_("Collected by"),
    "centrifuged_at": N_("Centrifuged at"),
    "frozen_at": N_("Frozen at"),
    "quantity": N_("Quantity"),
    "unit": N_("Unit"),
    "container": N_("Container"),
    "notes": N_("Notes"),
    "specimen_type": N_("Specimen type"),
    "participant": N_("Participant"),
    "visit": N_("Visit"),
    "occurrence": N_("Occurrence"),
    "shipment": N_("Shipment"),
    "specimen": N_("Specimen"),
    "parent": N_("Parent specimen"),
    "child": N_("Aliquot or derivative"),
    "take": N_("Quantity taken"),
    "damage": N_("Damage"),
    "condition": N_("Condition"),
    "field": N_("Field"),
    "old": N_("Old value"),
    "new": N_("New value"),
    "reason": N_("Reason"),
    "from": N_("From"),
    "to": N_("To"),
    "was": N_("Was at"),
    "rack": N_("Rack"),
    "moved_from": N_("Moved from"),
    "position": N_("Position"),
    "box": N_("Box"),
    "box_kind": N_("Kind of box"),
    "location": N_("Location"),
    "late": N_("Arrived late"),
    "barcode": N_("Barcode"),
    "count": N_("Count"),
    "stock": N_("Label stock"),
    "role": N_("Role"),
    "display_name": N_("Name"),
    "origin": N_("Origin"),
    "classification": N_("Classification"),
    "oncogenicity": N_("Oncogenicity"),
    "attempt": N_("Attempt"),
    "max_attempts": N_("Attempts allowed"),
    "screening_status": N_("Screening status"),
    "decision": N_("Decision"),
    "type": N_("Specimen type"),
    "confirmation": N_("Confirmation"),
    "format": N_("Format"),
    "conditions": N_("Shipping conditions"),
    "dry_ice_kg": N_("Dry ice, net mass (kg)"),
    "courier": N_("Courier"), "tracking_number": N_("Tracking number"),
    "logger_id": N_("Temperature logger"), "planned_ship_at": N_("Planned ship time"),
}

#: Column headings of the CSV files people open in a spreadsheet (inventory, chain of custody,
#: audit trail); the files' cells keep the stored codes, which scripts and pivot tables key on.
COLUMNS: Final[dict[str, str]] = {
    "unit": N_("Storage unit"), "path": N_("Location"), "box": N_("Box"),
    "position": N_("Position"), "specimen": N_("Specimen"), "type": N_("Specimen type"),
    "status": N_("Status"), "participant": N_("Participant"), "visit": N_("Visit"),
    "freeze_thaw_count": N_("Freeze–thaw cycles"), "quantity": N_("Quantity"),
    "unit_of_measure": N_("Unit"), "site": N_("Site"), "at_utc": N_("Time (UTC)"),
    "event": N_("Event"), "from_status": N_("Status before"), "to_status": N_("Status after"),
    "actor": N_("Who"), "shipment": N_("Shipment"), "detail": N_("Detail"),
    "id": N_("Number"), "action": N_("Action"), "entity_type": N_("Record type"),
    "entity_id": N_("Record"), "changes": N_("Changes"), "reason": N_("Reason"),
    "prev_hash": N_("Previous hash"), "hash": N_("Hash"),
}

#: Which domain a field's values come from, so ``container: ['edta_tube_4ml', …]`` reads
#: "Container: EDTA tube 4 mL → …".
FIELD_VALUES: Final[dict[str, str]] = {
    "status": "status", "container": "container", "specimen_type": "specimen_type",
    "visit": "visit", "field": "field", "damage": "damage", "condition": "damage",
    "origin": "origin", "classification": "classification", "oncogenicity": "oncogenicity",
    "role": "role", "screening_status": "screening_status", "stock": "stock",
    "assay": "assay", "consequence": "consequence", "men1_status": "men1_status",
    "type": "specimen_type", "decision": "gate_decision", "kind": "location_kind",
    "unit": "unit", "conditions": "conditions", "box_kind": "box_kind",
}

_TABLES: Final[dict[str, dict[str, str]]] = {
    "specimen_type": SPECIMEN_TYPES,
    "container": CONTAINERS,
    "status": STATUSES,
    "assay": ASSAYS,
    "classification": CLASSIFICATIONS,
    "origin": ORIGINS,
    "oncogenicity": ONCOGENICITIES,
    "consequence": CONSEQUENCES,
    "men1_status": MEN1_STATUSES,
    "file_role": FILE_ROLES,
    "gate_decision": GATE_DECISIONS,
    "unit": UNIT_LABELS,
    "visit": VISITS,
    "role": ROLES,
    "screening_status": SCREENING_STATUSES,
    "event": EVENTS,
    "audit_action": AUDIT_ACTIONS,
    "record": RECORDS,
    "column": COLUMNS,
    "field": FIELDS,
}
#: Domains whose table belongs to the area that validates the codes: (module, attribute).
_ELSEWHERE: Final[dict[str, tuple[str, str]]] = {
    "shipment_status": ("biobank.services.shipments", "STATUS_LABELS"),
    "conditions": ("biobank.services.shipments", "CONDITIONS"),
    "damage": ("biobank.services.shipments", "DAMAGE"),
    "package_condition": ("biobank.services.shipments", "PACKAGE_CONDITIONS"),
    "location_kind": ("biobank.services.storage", "LOCATION_KINDS"),
    "box_type": ("biobank.services.storage", "BOX_TYPES"),
    "box_kind": ("biobank.services.storage_rules", "BOX_KINDS"),
    "stock": ("labels.layout", "STOCKS"),
}
DOMAIN_NAMES: Final[tuple[str, ...]] = (*_TABLES, *_ELSEWHERE)


def _text(entry: Any) -> str:
    if isinstance(entry, str):
        return entry
    for attr in ("label", "description"):
        value = getattr(entry, attr, None)
        if isinstance(value, str):
            return value
    return str(entry)


def domain(name: str) -> Mapping[str, str]:
    """The code → English label table of a domain (KeyError for an unknown one)."""
    table = _TABLES.get(name)
    if table is not None:
        return table
    module, attr = _ELSEWHERE[name]
    raw = getattr(importlib.import_module(module), attr)
    return {code: _text(entry) for code, entry in raw.items()}


def readable(code: str) -> str:
    """A code nobody gave a label, as words: ``stop_gained`` → ``stop gained``."""
    return re.sub(r"[_.]+", " ", code).strip()


def english(name: str, code: object) -> str:
    """The English label of ``code`` in domain ``name``; "—" for no value."""
    if code is None or code == "":
        return "—"
    text = str(code)
    if name not in _TABLES and name not in _ELSEWHERE:
        # A value of a field that has no coded values (an override's confirmation note): data,
        # shown as recorded; a page never fails over it.
        return text
    found = domain(name).get(text)
    return found if found is not None else readable(text)


def display(name: str, code: object, gettext: Callable[[str], str]) -> str:
    """The label of ``code`` in domain ``name`` in the language of ``gettext`` (Flask-Babel's
    for pages, :func:`biobank.i18n.translator` for PDFs and files)."""
    text = english(name, code)
    return text if text == "—" else gettext(text)


def word(name: str, code: object, *, lower: bool = False) -> Msg:
    """``code``'s label as a message param (a gate detail, an error): English where the
    message is English, translated wherever it is rendered (:func:`biobank.i18n.render`).
    ``lower`` for a word inside an English sentence ("SP… is in transit at S01")."""
    label = english(name, code)
    return term(label.lower(), label) if lower else term(label)


_IN_TEXT_DOMAINS: Final = ("classification", "oncogenicity", "origin", "consequence",
                           "men1_status")


def words_in(text: str, gettext: Callable[[str], str]) -> str:
    """Free text that carries codes (the engine's evidence lines: ``points +9 ->
    likely_pathogenic``) with each code of several words replaced by its label."""
    codes = {c: n for n in _IN_TEXT_DOMAINS for c in domain(n) if "_" in c}
    pattern = re.compile(r"(?<![\w.])(" + "|".join(sorted(codes, key=len, reverse=True))
                         + r")(?![\w])")
    return pattern.sub(lambda m: display(codes[m.group(1)], m.group(1), gettext), text)


def all_codes() -> dict[str, set[str]]:
    """Every code of every domain (for the tests that no page shows one)."""
    return {name: set(domain(name)) for name in DOMAIN_NAMES}


def label(vocabulary: Mapping[str, str], code: str) -> str:
    return vocabulary.get(code, code)
