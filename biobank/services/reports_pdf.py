"""The printed MEN1 genotyping report (reportlab): one signed version, as signed.

Participant code only (never a name), the specimens and their lineage, the assay, the
variants with their interpretation, the MEN1 status, the signature and the version.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .. import localtime, pdf_fonts, vocabulary
from ..i18n import translator
from ..models import ReportVersion
from . import genotyping


def _scale(scale: str, tier: str | None, engine_tier: str | None, points: int | None,
           _: Callable[[str], str]) -> str:
    """One scale's cell: the reviewed tier, the engine's points, and whether it was overridden."""
    if tier is None:
        return "-"
    text = vocabulary.display(scale, tier, _) + (f" ({points:+d})" if points is not None else "")
    return text + (f" ({_('overridden')})" if tier != engine_tier else "")


def _vaf(vaf: float | None, depth: int | None) -> str:
    if vaf is None:
        return "-"
    return f"{vaf:.2f} ({depth if depth is not None else '?'}x)"


def render(version: ReportVersion, locale: str = "en", tz: str | None = None) -> bytes:
    """The report in the reader's language; the signature time in the site's zone, named."""
    _ = translator(locale)
    c = version.content
    styles = pdf_fonts.paragraph_styles(locale)
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    out = BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
        bottomMargin=15 * mm, title=f"MEN1 report {c['participant']} v{version.version}",
        author=version.signer_name,
    )

    def p(text: str, style: str = "BodyText") -> Paragraph:
        return Paragraph(escape(text), styles.get(style, small))

    story: list[object] = [
        p(_("MEN1 genotyping report"), "Title"),
        p(_("Participant %(code)s") % {"code": c["participant"]} + "    "
          + _("Report %(report)s, version %(version)s") % {"report": version.report_id,
                                                          "version": version.version}
          + (f"  ({_('AMENDED')})" if version.amended else ""), "Heading3"),
    ]
    if version.amended:
        story.append(p(f"{_('Amendment reason')}: {version.amendment_reason}"))
    a = c["assay"]
    story += [
        p(_("Specimens"), "Heading4"),
        *[p(f"{vocabulary.display('file_role', s['role'], _)}: {s['barcode']} "
            f"({vocabulary.display('specimen_type', s['type'], _)}), "
            f"{_('VCF sample')} {s['vcf_sample']}"
            + (f"; from {' <- '.join(s['lineage'])}" if s["lineage"] else ""))
          for s in c["specimens"]],
        p(_("Assay"), "Heading4"),
        p(f"{vocabulary.display('assay', a['assay'], _)}, {a['caller']} {a['caller_version']}, "
          f"{a['build']}, "
          f"transcript {c.get('transcript') or '-'}; engine {c['engine_version']}, known "
          f"variants {c['known_variants_version']}"),
        *[p(f"{_('File')} ({vocabulary.display('file_role', f['role'], _)}): "
            f"sha256 {f['sha256']}") for f in c["files"]],
        p(_("Variants and interpretation"), "Heading4"),
    ]
    rows: list[list[object]] = [[Paragraph(h, small) for h in (
        "HGVS c.", "HGVS p.", _("Consequence"), _("Origin"), _("Normal VAF"), _("Tumour VAF"),
        _("Classification"), _("Oncogenicity"))]]
    for v in c["variants"]:
        g = genotyping.genomic_coordinates(a["build"], v.get("position") or "")
        rows.append([Paragraph(escape(v["hgvs_c"]) + (
            f"<br/>{escape(a['build'])} {escape(g[0])}<br/>{escape(g[1])}" if g else ""), small)]
            + [Paragraph(escape(str(x)), small) for x in (
            v["hgvs_p"] or "-", vocabulary.display("consequence", v["consequence"], _),
            vocabulary.display("origin", v["origin"], _),
            _vaf(v["normal_vaf"], v["normal_depth"]), _vaf(v["tumor_vaf"], v["tumor_depth"]),
            _scale("classification", v["classification"], v["engine_classification"],
                   v.get("points"), _),
            _scale("oncogenicity", v.get("oncogenicity"), v.get("engine_oncogenicity"),
                   v.get("oncogenicity_points"), _))])
    if len(rows) == 1:
        rows.append([Paragraph(_("No MEN1 variant reported"), small)] + [""] * 7)
    table = Table(rows, repeatRows=1, colWidths=[42 * mm, 22 * mm, 20 * mm, 18 * mm,
                                                 16 * mm, 16 * mm, 24 * mm, 22 * mm])
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story += [table]
    for v in c["variants"]:
        for o in v.get("overrides", []):
            field = o["field"]
            story.append(p(f"{v['hgvs_c']}: {vocabulary.display('field', field, _)} "
                           f"{vocabulary.display(field, o['old'], _)} -> "
                           f"{vocabulary.display(field, o['new'], _)}, {o['by']}: {o['reason']}",
                           "small"))
    story += _source_lines(c, p, _)
    story += [
        p(_("MEN1 status"), "Heading4"),
        p("; ".join(_(w) for w in genotyping.status_words(c)) + ". "
          + (_("Trial MEN1 criterion: met.") if c["qualifies"]
             else _("Trial MEN1 criterion: not met."))),
        Spacer(1, 6 * mm),
        p(_("Electronic signature"), "Heading4"),
        p(f"{_(version.meaning)}: {version.signer_name}, "
          f"{localtime.format_local(version.signed_at, tz, locale, seconds=True)}"),
        p(_("Times in %(zone)s") % {"zone": localtime.zone_label(tz, version.signed_at)},
          "small"),
        p(f"Content SHA-256 {version.content_sha256}", "small"),
    ]
    doc.build(story)
    return out.getvalue()


def _source_lines(c: dict[str, Any], p: Callable[..., object],
                  _: Callable[[str], str]) -> list[object]:
    """Where a non-VCF analysis comes from, and the tumour's second hit: locus LOH or a
    single-copy loss of the whole gene (issue 19)."""
    out: list[object] = []
    d = c.get("details") or {}
    if c.get("source") == "outside":
        out.append(p(_("Outside report: %(lab)s, %(date)s, accession %(accession)s; the "
                       "variant as reported: %(hgvs)s") % {
            "lab": d.get("lab", ""), "date": d.get("report_date", ""),
            "accession": d.get("accession", ""), "hgvs": d.get("hgvs", "")}))
    if c.get("source") == "mlpa":
        out.append(p(_("MLPA: %(kit)s, kit and lot %(lot)s") % {
            "kit": d.get("kit", ""), "lot": d.get("lot", "")}))
    loh = c.get("loh") or {}
    first = ", ".join(genotyping.germline_first_hits(c))
    if loh.get("status") == "loh" and first:
        out.append(p(_("Tumour: loss of heterozygosity of the MEN1 locus (%(reason)s), the "
                       "second hit of the germline MEN1 variant (%(first)s)")
                     % {"reason": loh.get("reason", ""), "first": first}))
    elif loh.get("status") == "loh":
        out.append(p(_("Tumour: loss of heterozygosity of the MEN1 locus (%(reason)s)")
                     % {"reason": loh.get("reason", "")}))
    elif loh.get("status") == "no_loh":
        out.append(p(_("Tumour: no loss of heterozygosity of the MEN1 locus (%(reason)s)")
                     % {"reason": loh.get("reason", "")}))
    # The tumour's single-copy loss of the whole gene: the table lists it as a pathogenic
    # event, so the report says in words what it is (a second hit, never a criterion alone).
    losses = ", ".join(genotyping.tumour_losses(c))
    if losses and first:
        out.append(p(_("Tumour: single-copy loss of the whole MEN1 gene (%(losses)s), the "
                       "second hit of the germline MEN1 variant (%(first)s)")
                     % {"losses": losses, "first": first}))
    elif losses:
        out.append(p(_("Tumour: single-copy loss of the whole MEN1 gene (%(losses)s), a "
                       "second hit only: it does not meet the MEN1 criterion on its own")
                     % {"losses": losses}))
    return out
