"""The enrolment gate: may this participant enrol? ``eligible``, ``not_eligible`` or
``pending``, with every criterion, its status and its source.

Sources: the latest signed MEN1 report version; the coordinator's latest eligibility
assessment (values with units and the lab's ULN, computed here, never ticked); consent; the
required screening specimens received at the central biobank.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import vocabulary
from ..errors import FieldError, NotFound, ValidationError
from ..i18n import CLAUSE_SEPARATOR, N_, OR_SEPARATOR, Msg, joined, render, term
from ..inputs import Number, Spec, Text
from ..models import (
    AuditEvent,
    EligibilityAssessment,
    GateDecision,
    Participant,
    ReportVersion,
    ShipmentItem,
    Specimen,
    User,
)
from . import access, audit, trial

MET, NOT_MET, PENDING = "met", "not_met", "pending"
IN_HAND = ("received", "stored", "checked_out", "consumed")

# Count labs: (label, comparison, threshold, units → factor to the protocol unit).
COUNT_LABS: dict[str, tuple[str, str, Decimal, dict[str, Decimal]]] = {
    "leukocytes": ("Leukocytes", ">", Decimal("4.0"),
                   {"10^9/L": Decimal(1), "10^3/uL": Decimal(1)}),
    "neutrophils": ("Neutrophils", ">=", Decimal("1.5"),
                    {"10^9/L": Decimal(1), "10^3/uL": Decimal(1)}),
    "platelets": ("Platelets", ">=", Decimal("100"),
                  {"10^9/L": Decimal(1), "10^3/uL": Decimal(1)}),
    "haemoglobin": ("Haemoglobin", ">=", Decimal("10"),
                    {"g/dL": Decimal(1), "g/L": Decimal("0.1")}),
}
PROTOCOL_UNIT = {"leukocytes": "10^9/L", "neutrophils": "10^9/L", "platelets": "10^9/L",
                 "haemoglobin": "g/dL"}
# Labs judged against the laboratory's upper limit of normal: (label, comparison, × ULN).
ULN_LABS: dict[str, tuple[str, str, Decimal]] = {
    "bilirubin": ("Total bilirubin", "<", Decimal("1.5")),
    "ast": ("AST", "<=", Decimal("1.5")),
    "alt": ("ALT", "<=", Decimal("1.5")),
    "ldh": ("LDH", "<=", Decimal("1.5")),
    "alp": ("ALP", "<=", Decimal("5")),
}
EXCLUSIONS: dict[str, str] = {
    "excl_antitumor_4w": "Any antitumour therapy within 4 weeks",
    "excl_other_trial_4w": "Another drug/therapy trial within 4 weeks before first dose",
    "excl_major_surgery_4w": "Major surgery (or not recovered) within 4 weeks before first dose",
    "excl_other_malignancy": "Other malignancy without complete remission for at least 2 years",
    "excl_active_infection": "Persistent or active (serious) infection",
    "excl_hypertension": "Hypertension not controlled by medication (over 150/90 mmHg)",
    "excl_diabetes": "Poorly controlled diabetes",
    "excl_heart_failure": "Grade II-IV congestive heart failure or heart block",
    "excl_thrombo_cardiac_6m": "DVT, PE, MI, serious arrhythmia, unstable angina, PCI, ACS or "
                               "CABG within 6 months",
    "excl_leflunomide_allergy": "Allergy to leflunomide or its metabolites",
    "excl_severe_liver": "Severe liver damage",
    "excl_other_condition": "Other severe condition or laboratory abnormality increasing risk",
    "excl_poor_compliance": "Poor compliance or otherwise unsuitable",
}
YES_NO = ("yes", "no")
NUMERIC_FIELDS = (
    ["age", "ecog", "recist_lesions", "creatinine", "creatinine_uln", "creatinine_clearance"]
    + list(COUNT_LABS) + list(ULN_LABS) + [f"{k}_uln" for k in ULN_LABS]
)
TEXT_FIELDS = [f"{k}_unit" for k in COUNT_LABS] + [f"{k}_unit" for k in ULN_LABS] + [
    "creatinine_unit"]
ANSWER_FIELDS = ["net_diagnosis", "first_line_failed", *EXCLUSIONS]
ALL_FIELDS = NUMERIC_FIELDS + TEXT_FIELDS + ANSWER_FIELDS
#: Any value typed into a numeric criterion (the per-lab limits below are checked after).
ANY_VALUE = Number(low=Decimal(0), high=Decimal(1_000_000), places=6)
#: The criteria form's fields as the input boundary reads them (web/genotyping.py).
FIELD_SPECS: dict[str, Spec] = {
    **{n: ANY_VALUE for n in NUMERIC_FIELDS}, **{n: Text(16) for n in TEXT_FIELDS},
    **{n: Text(8) for n in ANSWER_FIELDS},
}
#: Plausible limits of a count lab in its protocol unit (after conversion): a value beyond
#: them is a typing or unit error, never a criterion met.
COUNT_LIMITS: dict[str, Decimal] = {"leukocytes": Decimal(1000), "neutrophils": Decimal(1000),
                                    "platelets": Decimal(5000), "haemoglobin": Decimal(30)}
#: A lab judged against its ULN beyond this many times the ULN is not a plausible result.
MAX_TIMES_ULN = Decimal(1000)
WHOLE_LIMITS = {"age": 130, "ecog": 5, "recist_lesions": 100}
CREATININE_CLEARANCE_MAX = Decimal(500)  # mL/min


#: Who acts next on a pending criterion, in the order the gate's summary lists them.
NEXT_ACTORS: dict[str, str] = {
    "site_technician": N_("Site technician"),
    "central_lab": N_("Central laboratory"),
    "pathologist": N_("Molecular pathologist"),
    "coordinator": N_("Coordinator"),
}


def link(kind: str, text: Msg, at: datetime | None = None, **ref: Any) -> dict[str, Any]:
    """One record a criterion rests on, as data the pages turn into a link: ``kind`` is
    ``report_version``, ``analysis``, ``file``, ``specimen``, ``assessment`` or
    ``participant``; ``ref`` the keys that find it; ``at`` an ISO UTC time (JSON-safe: the
    criteria are stored with each decision), shown in the reader's zone."""
    return {"kind": kind, "text": text, "at": at.isoformat() if at else None, **ref}


@dataclass
class Criterion:
    """One line of the gate. ``detail`` and ``source`` are :class:`~biobank.i18n.Msg` texts:
    English wherever a string is read (CLI, stored decisions), shown translated by pages and
    the API (:meth:`Gate.as_dict` with a gettext). ``links`` name the records behind the
    source (:func:`link`); ``flag`` is a caution on a met criterion (a specimen received
    damaged); ``next_actor`` (a :data:`NEXT_ACTORS` key) says who moves a pending one on."""

    name: str
    label: str
    status: str
    detail: str
    source: str
    links: list[dict[str, Any]] = field(default_factory=list)
    flag: str = ""
    next_actor: str = ""


@dataclass
class Gate:
    participant: str
    decision: str
    criteria: list[Criterion]

    @property
    def missing(self) -> list[Criterion]:
        return [c for c in self.criteria if c.status == PENDING]

    @property
    def failed(self) -> list[Criterion]:
        return [c for c in self.criteria if c.status == NOT_MET]

    @property
    def flagged(self) -> list[Criterion]:
        return [c for c in self.criteria if c.flag]

    def pending_by_actor(self) -> list[tuple[str, list[Criterion]]]:
        """The missing criteria grouped by who acts next, in :data:`NEXT_ACTORS` order."""
        groups: dict[str, list[Criterion]] = {}
        for c in self.missing:
            groups.setdefault(c.next_actor or "coordinator", []).append(c)
        return [(a, groups[a]) for a in NEXT_ACTORS if a in groups]

    def as_dict(self, gettext: Callable[[str], str] | None = None) -> dict[str, Any]:
        """The gate as JSON; with ``gettext``, each criterion's label, detail and source in
        its language (names, statuses and the decision stay stable codes)."""
        criteria = [asdict(c) for c in self.criteria]
        if gettext is not None:
            for c in criteria:
                for key in ("label", "detail", "source", "flag"):
                    c[key] = render(c[key], gettext)
                for ref in c["links"]:
                    ref["text"] = render(ref["text"], gettext)
        return {
            "participant": self.participant,
            "decision": self.decision,
            "criteria": criteria,
            "missing": [c.name for c in self.missing],
        }


# ---------------------------------------------------------------------------------------------
# Recording the criteria
# ---------------------------------------------------------------------------------------------
def _number(name: str, raw: Any) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return ANY_VALUE.clean(name, raw)


def clean_values(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate what the coordinator entered; unknown keys are refused, blanks dropped."""
    unknown = sorted(k for k in raw if k not in ALL_FIELDS and k != "source")
    if unknown:
        raise ValidationError(
            "unknown criteria: %(unknown)s",
            unknown=", ".join(unknown), code="bad_field")
    out: dict[str, Any] = {}
    numbers: dict[str, Decimal] = {}
    for name in NUMERIC_FIELDS:
        value = _number(name, raw.get(name))
        if value is None:
            continue
        if name in WHOLE_LIMITS:
            if value != value.to_integral_value():
                raise FieldError("%(field)s: a whole number", field=name, code="bad_value")
            if value > WHOLE_LIMITS[name]:
                raise FieldError("%(field)s: at most %(max)s", field=name,
                                 max=WHOLE_LIMITS[name], code="bad_value")
        if name == "creatinine_clearance" and value > CREATININE_CLEARANCE_MAX:
            raise FieldError("%(field)s: at most %(max)s", field=name,
                             max=CREATININE_CLEARANCE_MAX, code="bad_value")
        if name.endswith("_uln") and value == 0:
            raise FieldError(
                "%(field)s: the upper limit of normal must be above 0",
                field=name, code="bad_value")
        numbers[name] = value
        out[name] = format(value.normalize(), "f")
    for lab, (_label, _op, _t, units) in COUNT_LABS.items():
        unit = str(raw.get(f"{lab}_unit") or PROTOCOL_UNIT[lab]).strip()
        if lab in out:
            if unit not in units:
                raise ValidationError(
                    "%(lab)s_unit: one of %(units)s",
                    lab=lab, units=", ".join(units), code="bad_unit")
            if numbers[lab] * units[unit] > COUNT_LIMITS[lab]:
                raise FieldError(
                    "%(field)s: %(value)s %(unit)s is not a plausible result (at most "
                    "%(max)s %(protocol_unit)s)",
                    field=lab, value=out[lab], unit=unit, max=COUNT_LIMITS[lab],
                    protocol_unit=PROTOCOL_UNIT[lab], code="implausible")
            out[f"{lab}_unit"] = unit
    for lab in [*ULN_LABS, "creatinine"]:
        unit = str(raw.get(f"{lab}_unit") or "").strip()[:16]
        if lab in out:
            if f"{lab}_uln" not in out:
                raise ValidationError(
                    "%(lab)s: give the laboratory's upper limit of normal",
                    lab=lab, code="uln_required")
            if numbers[lab] > numbers[f"{lab}_uln"] * MAX_TIMES_ULN:
                raise FieldError(
                    "%(field)s: more than %(times)s times the upper limit of normal is not a "
                    "plausible result", field=lab, times=MAX_TIMES_ULN, code="implausible")
            out[f"{lab}_unit"] = unit
    for name in ANSWER_FIELDS:
        ans = str(raw.get(name) or "").strip().lower()
        if not ans:
            continue
        if ans not in YES_NO:
            raise ValidationError("%(name)s: answer yes or no", name=name, code="bad_value")
        out[name] = ans
    return out


def latest_assessment(session: Session, participant: Participant
                      ) -> EligibilityAssessment | None:
    return session.execute(
        select(EligibilityAssessment)
        .where(EligibilityAssessment.participant_id == participant.id)
        .order_by(EligibilityAssessment.id.desc()).limit(1)
    ).scalar_one_or_none()


def record_assessment(session: Session, actor: User, participant: Participant,
                      raw: dict[str, Any], source: str) -> EligibilityAssessment:
    """Record the criteria (a full new assessment; earlier ones stay as history)."""
    access.require_role(actor, "coordinator")
    if not access.can_see_site(actor, participant.site_id):
        raise NotFound(
            "no participant %(participant)r visible to you",
            participant=participant.code)
    source = (source or "").strip()
    if not source:
        raise ValidationError("name the source of these values (e.g. the lab report and date)",
                              code="source_required")
    values = clean_values(raw)
    prev = latest_assessment(session, participant)
    row = EligibilityAssessment(participant_id=participant.id, values=values,
                                source=source[:300], recorded_by_id=actor.id)
    session.add(row)
    session.flush()
    old = prev.values if prev else {}
    changes = {k: [old.get(k), values.get(k)] for k in sorted(set(old) | set(values))
               if old.get(k) != values.get(k)}
    audit.record(session, actor, "enrollment.criteria_record", "participant", participant.code,
                 changes, source[:300])
    reevaluate(session, actor, participant, "eligibility criteria recorded")
    return row


# ---------------------------------------------------------------------------------------------
# Evaluating
# ---------------------------------------------------------------------------------------------
def _cmp(value: Decimal, op: str, threshold: Decimal) -> bool:
    return {"<": value < threshold, "<=": value <= threshold, ">": value > threshold,
            ">=": value >= threshold}[op]


def _fmt(d: Decimal) -> str:
    return format(d.quantize(Decimal("0.01")).normalize(), "f")


def _variant_words(x: dict[str, Any]) -> Msg:
    """A qualifying variant as the gate names it: HGVS, then its tiers and origin in words."""
    words = [vocabulary.word("classification", x["classification"])]
    if x.get("oncogenicity"):
        words.append(vocabulary.word("oncogenicity", x["oncogenicity"]))
    words.append(vocabulary.word("origin", x["origin"]))
    hgvs = " ".join(p for p in (x["hgvs_c"], x.get("hgvs_p") or "") if p)
    return Msg("%(hgvs)s: %(words)s", hgvs=hgvs, words=joined(words))


def _report_source(v: ReportVersion) -> Msg:
    """Where one signed MEN1 report comes from, as the gate cites it."""
    signed = {"report": v.report_id, "version": v.version, "signer": v.signer_name,
              "at": v.signed_at.isoformat(timespec="seconds")}
    details = v.content.get("details") or {}
    if v.content.get("source") == "outside":
        return Msg("outside report %(lab)s %(date)s (accession %(accession)s), confirmed and "
                   "signed by %(signer)s at %(at)s (report %(report)s version %(version)s)",
                   lab=details.get("lab", ""), date=details.get("report_date", ""),
                   accession=details.get("accession", ""), **signed)
    if v.content.get("source") == "mlpa":
        return Msg("MLPA %(kit)s lot %(lot)s on %(specimen)s, report %(report)s version "
                   "%(version)s signed by %(signer)s at %(at)s",
                   kit=details.get("kit", ""), lot=details.get("lot", ""),
                   specimen=", ".join(s["barcode"] for s in v.content.get("specimens", [])),
                   **signed)
    files = ", ".join(f["sha256"][:12] for f in v.content.get("files", []))
    if v.amended:
        return Msg("report %(report)s version %(version)s (amended) signed by %(signer)s at "
                   "%(at)s; files %(files)s", files=files, **signed)
    return Msg("report %(report)s version %(version)s signed by %(signer)s at %(at)s; "
               "files %(files)s", files=files, **signed)


def _report_links(versions: Iterable[ReportVersion]) -> list[dict[str, Any]]:
    """The records behind signed reports: each version, the outside report or MLPA table it
    rests on, its files and its specimens (each once)."""
    out: list[dict[str, Any]] = []
    for v in versions:
        analysis = v.content.get("analysis") or v.report.analysis_id
        signed = {"report": v.report_id, "version": v.version, "signer": v.signer_name}
        out.append(link(
            "report_version",
            Msg("report %(report)s version %(version)s (amended), signed by %(signer)s",
                **signed) if v.amended else
            Msg("report %(report)s version %(version)s, signed by %(signer)s", **signed),
            v.signed_at, report=v.report_id, version=v.version, analysis=analysis))
        details = v.content.get("details") or {}
        if v.content.get("source") == "outside":
            out.append(link("analysis", Msg(
                "outside report %(lab)s %(date)s (accession %(accession)s), confirmed and "
                "signed by %(signer)s", lab=details.get("lab", ""),
                date=details.get("report_date", ""), accession=details.get("accession", ""),
                signer=v.signer_name), analysis=analysis))
        elif v.content.get("source") == "mlpa":
            out.append(link("analysis", Msg(
                "MLPA %(kit)s lot %(lot)s on %(specimen)s", kit=details.get("kit", ""),
                lot=details.get("lot", ""),
                specimen=", ".join(s["barcode"] for s in v.content.get("specimens", []))),
                analysis=analysis))
        for f in v.content.get("files", []):
            out.append(link("file", Msg("file %(name)s (sha256 %(sha)s)", name=f["name"],
                                        sha=f["sha256"][:12]),
                            analysis=analysis, sha256=f["sha256"]))
        for sp in v.content.get("specimens", []):
            out.append(link("specimen", Msg("specimen %(specimen)s", specimen=sp["barcode"]),
                            barcode=sp["barcode"]))
    unique: dict[tuple[Any, ...], dict[str, Any]] = {}
    for ref in out:
        unique.setdefault(tuple(sorted((k, str(v)) for k, v in ref.items() if k != "text")),
                          ref)
    return list(unique.values())


def _men1(session: Session, participant: Participant) -> Criterion:
    """Met when any current signed report qualifies (each qualifying one is cited); every
    signed-out analysis (a VCF, an outside report, an MLPA table) speaks for itself until its
    own amendment says otherwise."""
    from . import genotyping, rereview

    label = "MEN1 mutation (germline P/LP, or oncogenic or P/LP in the tumour)"
    versions = genotyping.signed_versions(session, participant)
    if not versions:
        pending = [a for a in genotyping.analyses_of(session, participant)]
        if pending:
            return Criterion(
                "men1", label, PENDING,
                Msg("no signed MEN1 report (analysis %(analysis)s awaits sign-out)",
                    analysis=pending[0].id), Msg("genotyping report"),
                links=[link("analysis", Msg("analysis %(analysis)s", analysis=a.id),
                            a.created_at, analysis=a.id) for a in pending],
                next_actor="pathologist")
        # Nothing uploaded: the screening specimens are still to be sequenced.
        return Criterion("men1", label, PENDING, Msg("no signed MEN1 report (no VCF uploaded)"),
                         Msg("genotyping report"), next_actor="central_lab")

    def suggestions(v: ReportVersion) -> int:
        return sum(len(r.differences)
                   for r in rereview.open_suggestions(session, v.report.analysis_id))

    qualifying = [v for v in versions if v.men1_qualifies]
    if qualifying:
        details: list[Msg] = []
        for v in qualifying:
            qual = [x for x in v.content.get("variants", []) if x.get("qualifying")]
            names = joined((_variant_words(x) for x in qual), CLAUSE_SEPARATOR)
            count = suggestions(v)
            details.append(
                Msg("%(status)s: %(variants)s; re-review suggested (%(count)s "
                    "difference(s) under the current engine)",
                    status=vocabulary.word("men1_status", v.men1_status),
                    variants=names, count=count)
                if count else
                Msg("%(status)s: %(variants)s",
                    status=vocabulary.word("men1_status", v.men1_status), variants=names))
            if (v.content.get("loh") or {}).get("status") == "loh":
                # The tumour lost the other allele: a germline carrier's second hit, said so;
                # beside a somatic hit it is reported as found (never a criterion alone).
                reason = v.content["loh"].get("reason", "")
                details.append(
                    Msg("second hit: the tumour's loss of heterozygosity of the MEN1 locus "
                        "(%(reason)s)", reason=reason)
                    if genotyping.germline_first_hits(v.content) else
                    Msg("tumour loss of heterozygosity of the MEN1 locus (%(reason)s)",
                        reason=reason))
        # A germline carrier's second hit may also be the tumour's single-copy loss of the
        # whole gene, from the same analysis (a blood VCF with a tumour CNVkit table) or from
        # another signed report (a tumour copy-number analysis signed on its own). The loss is
        # named, with its report, but never qualifies: it is cited only beside a first hit.
        losses = [(v, loss) for v in versions for loss in genotyping.tumour_losses(v.content)]
        if not any(genotyping.germline_first_hits(v.content) for v in qualifying):
            losses = []
        if losses:
            details.append(Msg(
                "second hit: the tumour's single-copy loss of the whole MEN1 gene "
                "(%(losses)s; report %(reports)s)",
                losses=", ".join(dict.fromkeys(loss for _v, loss in losses)),
                reports=", ".join(dict.fromkeys(str(v.report_id) for v, _loss in losses))))
        # The sources: the qualifying reports, then any report cited only for its loss.
        cited = list(dict.fromkeys([*qualifying, *(v for v, _loss in losses)]))
        return Criterion("men1", label, MET, joined(details, CLAUSE_SEPARATOR),
                         joined((_report_source(v) for v in cited), CLAUSE_SEPARATOR),
                         links=_report_links(cited))
    source = joined((_report_source(v) for v in versions), CLAUSE_SEPARATOR)
    covering = [v for v in versions
                if "not_covered" not in (v.men1_status, v.content.get("engine_men1_status"))]
    if not covering:
        # The sequencing showed nothing of MEN1: no answer yet, never "no mutation".
        return Criterion("men1", label, PENDING,
                         Msg("MEN1 status %(status)s: the data do not cover MEN1; sequence "
                             "again or upload a file that covers it",
                             status=vocabulary.word("men1_status", "not_covered")),
                         source, links=_report_links(versions), next_actor="central_lab")
    details = []
    for v in covering:
        count = suggestions(v)
        details.append(
            Msg("MEN1 status %(status)s: no qualifying variant; re-review suggested "
                "(%(count)s difference(s) under the current engine)",
                status=vocabulary.word("men1_status", v.men1_status), count=count)
            if count else
            Msg("MEN1 status %(status)s: no qualifying pathogenic, likely pathogenic, "
                "oncogenic or likely oncogenic variant",
                status=vocabulary.word("men1_status", v.men1_status)))
    return Criterion("men1", label, NOT_MET, joined(details, CLAUSE_SEPARATOR), source,
                     links=_report_links(versions))


def _consent(participant: Participant) -> list[Criterion]:
    src = (Msg("participant record (consent date %(date)s)", date=participant.consent_date)
           if participant.consent_date else
           Msg("participant record (consent date not recorded)"))
    links = [link("participant", src, code=participant.code)]
    return [
        Criterion("consent", "Informed consent signed",
                  MET if participant.consent_main else PENDING,
                  Msg("signed") if participant.consent_main
                  else Msg("informed consent not recorded"), src, links=list(links),
                  next_actor="coordinator"),
        Criterion("consent_sample_storage", "Consent to sample storage",
                  MET if participant.consent_sample_storage else PENDING,
                  Msg("given") if participant.consent_sample_storage
                  else Msg("consent to sample storage not recorded"), src, links=list(links),
                  next_actor="coordinator"),
    ]


def _damage(session: Session, specimens: list[Specimen]) -> dict[int, ShipmentItem]:
    """The latest receipt of each specimen that was scanned in damaged (haemolysed, thawed…)."""
    if not specimens:
        return {}
    rows = session.execute(
        select(ShipmentItem).where(ShipmentItem.specimen_id.in_([s.id for s in specimens]),
                                   ShipmentItem.state.in_(("received", "damaged")))
        .order_by(ShipmentItem.id)
    ).scalars()
    latest: dict[int, ShipmentItem] = {}
    for item in rows:
        latest[item.specimen_id] = item
    return {k: v for k, v in latest.items() if v.state == "damaged" and v.damage}


def _waiting_on(candidates: list[Specimen]) -> str:
    """Who moves a screening specimen on: the central lab receives what is on its way, the
    site collects and ships the rest."""
    if any(s.status == "in_transit" for s in candidates):
        return "central_lab"
    return "site_technician"


def _baseline(session: Session, participant: Participant) -> list[Criterion]:
    from .shipments import DAMAGE

    out = []
    scr = trial.get_visit(session, "SCR")
    rows = list(session.execute(
        select(Specimen).where(Specimen.participant_id == participant.id)
        .order_by(Specimen.id)
    ).scalars())
    damaged = _damage(session, [s for s in rows if s.status in IN_HAND])
    for exp in scr.expected:
        if not exp.required_for_enrolment:
            continue
        types = [exp.specimen_type, *exp.alternatives]
        names = joined((term(vocabulary.SPECIMEN_TYPES.get(t, t)) for t in types),
                       OR_SEPARATOR)
        label = Msg("Screening specimen at the central biobank: %(types)s", types=names)
        candidates = [s for s in rows if s.specimen_type in types]
        # An intact specimen speaks for the criterion before a damaged one does.
        ok = sorted((s for s in candidates if s.status in IN_HAND and s.site.kind == "central"),
                    key=lambda s: s.id in damaged)
        name = f"baseline_{exp.specimen_type}"
        if ok:
            s = ok[0]
            item = damaged.get(s.id)
            flag = Msg("received %(damage)s in shipment %(shipment)s: check it is usable",
                       damage=term(item.damage or "", DAMAGE.get(item.damage or "")),
                       shipment=item.shipment.barcode) if item else ""
            out.append(Criterion(name, label, MET,
                                 Msg("%(specimen)s %(status)s at %(site)s", specimen=s.barcode,
                                     status=_status(s.status), site=s.site.code),
                                 Msg("specimen %(specimen)s", specimen=s.barcode),
                                 links=[link("specimen", Msg("specimen %(specimen)s",
                                                             specimen=s.barcode),
                                             barcode=s.barcode)],
                                 flag=flag))
        else:
            where = joined(
                (Msg("%(specimen)s is %(status)s at %(site)s", specimen=s.barcode,
                     status=_status(s.status), site=s.site.code) for s in candidates),
                CLAUSE_SEPARATOR) if candidates else Msg("none registered")
            out.append(Criterion(name, label, PENDING,
                                 Msg("not yet received at the central biobank (%(where)s)",
                                     where=where),
                                 Msg("specimen records"),
                                 links=[link("specimen", Msg("specimen %(specimen)s",
                                                             specimen=s.barcode),
                                             barcode=s.barcode) for s in candidates],
                                 next_actor=_waiting_on(candidates)))
    return out


def _status(status: str) -> Msg:
    # The status's label in both languages (a raw code is for the API's stable fields only).
    return vocabulary.word("status", status, lower=True)


def _assessment_criteria(a: EligibilityAssessment | None) -> list[Criterion]:
    values: dict[str, Any] = a.values if a else {}
    src = Msg("recorded by %(user)s at %(at)s (source: %(source)s)",
              user=a.recorded_by.username, at=a.recorded_at.isoformat(timespec="seconds"),
              source=a.source) if a else Msg("not recorded")
    record = [link("assessment", Msg("criteria recorded by %(user)s (source: %(source)s)",
                                     user=a.recorded_by.username, source=a.source),
                   a.recorded_at, assessment=a.id)] if a else []
    out: list[Criterion] = []

    def num(key: str) -> Decimal | None:
        return Decimal(values[key]) if key in values else None

    def add(name: str, label: str, ok: bool | None, detail: Msg) -> None:
        status = PENDING if ok is None else (MET if ok else NOT_MET)
        out.append(Criterion(name, label, status, detail, src if ok is not None else
                             Msg("eligibility assessment"), links=list(record),
                             next_actor="coordinator"))

    age = num("age")
    add("age", "Age 18-75 years", None if age is None else 18 <= age <= 75,
        Msg("age not recorded") if age is None else Msg("age %(age)s years (18-75)", age=age))
    ecog = num("ecog")
    add("ecog", "ECOG performance status 0-1", None if ecog is None else ecog <= 1,
        Msg("ECOG not recorded") if ecog is None else Msg("ECOG %(ecog)s (0-1)", ecog=ecog))
    rec = num("recist_lesions")
    add("recist_lesion", "At least one RECIST-evaluable lesion",
        None if rec is None else rec >= 1,
        Msg("RECIST lesions not recorded") if rec is None
        else Msg("%(count)s evaluable lesion(s)", count=rec))
    for key, label in (("net_diagnosis", "Pathological diagnosis of neuroendocrine tumour"),
                       ("first_line_failed", "Unresectable, failed first-line systemic therapy")):
        ans = values.get(key)
        add(key, label, None if ans is None else ans == "yes",
            Msg("not answered") if ans is None else Msg("answered %(answer)s", answer=term(ans)))
    for lab, (label, op, threshold, units) in COUNT_LABS.items():
        value = num(lab)
        unit = values.get(f"{lab}_unit", PROTOCOL_UNIT[lab])
        if value is None:
            add(lab, f"{label} {op} {threshold} {PROTOCOL_UNIT[lab]}", None,
                Msg("%(lab)s not recorded", lab=term(label.lower(), label)))
            continue
        conv = value * units[unit]
        measured = {"value": value, "unit": unit, "op": op, "threshold": threshold}
        add(lab, f"{label} {op} {threshold} {PROTOCOL_UNIT[lab]}", _cmp(conv, op, threshold),
            Msg("%(value)s %(unit)s = %(converted)s %(protocol_unit)s (needs %(op)s "
                "%(threshold)s)", converted=_fmt(conv), protocol_unit=PROTOCOL_UNIT[lab],
                **measured)
            if unit != PROTOCOL_UNIT[lab] else
            Msg("%(value)s %(unit)s (needs %(op)s %(threshold)s)", **measured))
    for lab, (label, op, factor) in ULN_LABS.items():
        value, uln = num(lab), num(f"{lab}_uln")
        name = f"{label} {op} {factor}×ULN"
        if value is None or uln is None:
            add(lab, name, None, Msg("%(lab)s and its ULN not recorded", lab=term(label)))
            continue
        ratio = value / uln
        unit = values.get(f"{lab}_unit", "")
        add(lab, name, _cmp(ratio, op, factor),
            Msg("%(value)s %(unit)s = %(ratio)s×ULN (ULN %(uln)s %(unit)s; needs %(op)s "
                "%(factor)s×ULN)", value=value, unit=unit, ratio=_fmt(ratio), uln=uln, op=op,
                factor=factor))
    cr, cr_uln, clr = num("creatinine"), num("creatinine_uln"), num("creatinine_clearance")
    name = "Creatinine ≤ 1.5×ULN or clearance ≥ 60 mL/min"
    parts: list[Msg] = []
    ok_cr = ok_cl = None
    if cr is not None and cr_uln is not None:
        ok_cr = cr / cr_uln <= Decimal("1.5")
        unit = values.get("creatinine_unit", "")
        parts.append(Msg("creatinine %(value)s %(unit)s = %(ratio)s×ULN (ULN %(uln)s %(unit)s)",
                         value=cr, unit=unit, ratio=_fmt(cr / cr_uln), uln=cr_uln))
    if clr is not None:
        ok_cl = clr >= 60
        parts.append(Msg("clearance %(value)s mL/min", value=clr))
    if ok_cr is None and ok_cl is None:
        add("creatinine", name, None, Msg("creatinine and clearance not recorded"))
    else:
        ok = bool(ok_cr) or bool(ok_cl)
        add("creatinine", name, ok, joined(parts, CLAUSE_SEPARATOR))
    for key, label in EXCLUSIONS.items():
        ans = values.get(key)
        add(key, f"Exclusion: {label}", None if ans is None else ans == "no",
            Msg("not answered") if ans is None else
            (Msg("absent") if ans == "no" else Msg("PRESENT: excludes")))
    return out


def evaluate(session: Session, participant: Participant) -> Gate:
    criteria = [_men1(session, participant), *_consent(participant),
                *_baseline(session, participant),
                *_assessment_criteria(latest_assessment(session, participant))]
    if any(c.status == NOT_MET for c in criteria):
        decision = "not_eligible"
    elif any(c.status == PENDING for c in criteria):
        decision = "pending"
    else:
        decision = "eligible"
    return Gate(participant.code, decision, criteria)


def gate_for(session: Session, actor: User, code: str) -> Gate:
    return evaluate(session, access.get_participant(session, actor, code))


def history(session: Session, participant: Participant) -> list[GateDecision]:
    return list(session.execute(
        select(GateDecision).where(GateDecision.participant_id == participant.id)
        .order_by(GateDecision.id.desc())
    ).scalars())


def reevaluate(session: Session, actor: User | None, participant: Participant,
               trigger: str) -> GateDecision | None:
    """Evaluate and record the decision if it changed since the last recorded one."""
    session.flush()
    gate = evaluate(session, participant)
    last = session.execute(
        select(GateDecision).where(GateDecision.participant_id == participant.id)
        .order_by(GateDecision.id.desc()).limit(1)
    ).scalar_one_or_none()
    if last is not None and last.decision == gate.decision:
        return None
    row = GateDecision(participant_id=participant.id, decision=gate.decision,
                       previous=last.decision if last else None, trigger=trigger[:200],
                       criteria=[asdict(c) for c in gate.criteria],
                       actor_id=actor.id if actor else None)
    session.add(row)
    session.flush()
    audit.record(session, actor, "enrollment.decision", "participant", participant.code,
                 {"decision": [row.previous, row.decision]}, trigger[:200])
    return row


def enrolment_mismatches(session: Session, participants: Iterable[Participant]
                         ) -> dict[str, Msg]:
    """Participants listed as enrolled whose gate did not say eligible when they were
    enrolled (data from before the rule, or entered around it), code → what is wrong."""
    enrolled = {p.code: p for p in participants if p.screening_status == "enrolled"}
    if not enrolled:
        return {}
    enrolled_at: dict[str, datetime] = {}
    for ev in session.execute(
            select(AuditEvent).where(AuditEvent.action == "participant.status",
                                     AuditEvent.entity_type == "participant",
                                     AuditEvent.entity_id.in_(list(enrolled)))
            .order_by(AuditEvent.id)).scalars():
        change = (ev.changes or {}).get("screening_status")
        if isinstance(change, list) and change[-1:] == ["enrolled"]:
            enrolled_at[ev.entity_id] = ev.at
    decisions: dict[int, list[GateDecision]] = {}
    for d in session.execute(
            select(GateDecision)
            .where(GateDecision.participant_id.in_([p.id for p in enrolled.values()]))
            .order_by(GateDecision.id)).scalars():
        decisions.setdefault(d.participant_id, []).append(d)
    out: dict[str, Msg] = {}
    for code, p in enrolled.items():
        at = enrolled_at.get(code)
        before = [d for d in decisions.get(p.id, []) if at is None or d.at <= at]
        if not before:
            out[code] = Msg("listed as enrolled, but no gate decision was recorded before "
                            "enrolment")
        elif before[-1].decision != "eligible":
            out[code] = Msg("listed as enrolled, but the enrolment gate said %(decision)s at "
                            "enrolment", decision=term(
                                DECISIONS[before[-1].decision].lower(),
                                DECISIONS[before[-1].decision]))
    return out


def assessment_rows(values: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """A recorded assessment as people read it: (label msgid, value, whether the value is a
    yes/no answer to translate), each lab with its unit and the laboratory's ULN."""
    rows: list[tuple[str, str, bool]] = []
    for key, label in (("age", N_("Age (years)")), ("ecog", N_("ECOG (0-5)")),
                       ("recist_lesions", N_("RECIST-evaluable lesions"))):
        if key in values:
            rows.append((label, str(values[key]), False))
    for key, label in (("net_diagnosis", N_("Pathological diagnosis of neuroendocrine tumour")),
                       ("first_line_failed",
                        N_("Unresectable, failed first-line systemic therapy"))):
        if key in values:
            rows.append((label, str(values[key]), True))
    for lab, spec in COUNT_LABS.items():
        if lab in values:
            rows.append((spec[0], f"{values[lab]} {values.get(f'{lab}_unit', '')}".strip(),
                         False))
    uln_labels = {lab: spec[0] for lab, spec in ULN_LABS.items()} | {"creatinine": "Creatinine"}
    for lab, label in uln_labels.items():
        if lab in values:
            unit = values.get(f"{lab}_unit", "")
            rows.append((label, f"{values[lab]} {unit} (ULN {values.get(f'{lab}_uln', '')} "
                                f"{unit})".replace("  ", " ").replace(" )", ")"), False))
    if "creatinine_clearance" in values:
        rows.append((N_("or creatinine clearance (mL/min)"),
                     str(values["creatinine_clearance"]), False))
    for key, label in EXCLUSIONS.items():
        if key in values:
            rows.append((label, str(values[key]), True))
    return rows


#: The gate's decisions as people read them.
DECISIONS: dict[str, str] = {"eligible": N_("Eligible"), "not_eligible": N_("Not eligible"),
                             "pending": N_("Pending")}

__all__ = [
    "DECISIONS",
    "NEXT_ACTORS",
    "Criterion",
    "Gate",
    "assessment_rows",
    "enrolment_mismatches",
    "evaluate",
    "gate_for",
    "link",
    "record_assessment",
    "reevaluate",
]
