"""The printed MEN1 genotyping report (reportlab): one signed version, as signed.

Participant code only (never a name), the specimens and their lineage, the assay, the
variants with their interpretation, the MEN1 status, the signature and the version.
"""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..models import ReportVersion

STATUS_TEXT = {
    "germline": "Germline MEN1 pathogenic variant",
    "somatic": "Somatic MEN1 pathogenic variant in the tumour",
    "germline_and_somatic": "Germline and somatic MEN1 pathogenic variants",
    "undetermined_origin": "MEN1 pathogenic variant of undetermined origin",
    "vus_only": "Only variants of uncertain significance",
    "none_detected": "No MEN1 variant detected",
}


def _vaf(vaf: float | None, depth: int | None) -> str:
    if vaf is None:
        return "-"
    return f"{vaf:.2f} ({depth if depth is not None else '?'}x)"


def render(version: ReportVersion) -> bytes:
    c = version.content
    styles = getSampleStyleSheet()
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
        p("MEN1 genotyping report", "Title"),
        p(f"Participant {c['participant']}    Report {version.report_id}, version "
          f"{version.version}" + ("  (AMENDED)" if version.amended else ""), "Heading3"),
    ]
    if version.amended:
        story.append(p(f"Amendment reason: {version.amendment_reason}"))
    a = c["assay"]
    story += [
        p("Specimens", "Heading4"),
        *[p(f"{s['role']}: {s['barcode']} ({s['type']}), VCF sample {s['vcf_sample']}"
            + (f"; from {' <- '.join(s['lineage'])}" if s["lineage"] else ""))
          for s in c["specimens"]],
        p("Assay", "Heading4"),
        p(f"{a['assay']} sequencing, {a['caller']} {a['caller_version']}, {a['build']}, "
          f"transcript {c.get('transcript') or '-'}; engine {c['engine_version']}, known "
          f"variants {c['known_variants_version']}"),
        *[p(f"file ({f['role']}): sha256 {f['sha256']}") for f in c["files"]],
        p("Variants and interpretation", "Heading4"),
    ]
    rows: list[list[object]] = [[Paragraph(h, small) for h in (
        "HGVS c.", "HGVS p.", "Consequence", "Origin", "Normal VAF", "Tumour VAF",
        "Classification")]]
    for v in c["variants"]:
        changed = " (overridden)" if (v["classification"] != v["engine_classification"]
                                      or v["origin"] != v["engine_origin"]) else ""
        rows.append([Paragraph(escape(str(x)), small) for x in (
            v["hgvs_c"], v["hgvs_p"] or "-", v["consequence"], v["origin"],
            _vaf(v["normal_vaf"], v["normal_depth"]), _vaf(v["tumor_vaf"], v["tumor_depth"]),
            v["classification"] + changed)])
    if len(rows) == 1:
        rows.append([Paragraph("No MEN1 variant reported", small)] + [""] * 6)
    table = Table(rows, repeatRows=1, colWidths=[42 * mm, 24 * mm, 24 * mm, 22 * mm,
                                                 20 * mm, 20 * mm, 28 * mm])
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story += [table]
    for v in c["variants"]:
        for o in v.get("overrides", []):
            story.append(p(f"{v['hgvs_c']}: {o['field']} {o['old']} -> {o['new']} by {o['by']}: "
                           f"{o['reason']}", "small"))
    story += [
        p("MEN1 status", "Heading4"),
        p(f"{STATUS_TEXT.get(c['men1_status'], c['men1_status'])} ({c['men1_status']}). "
          f"Trial MEN1 criterion: {'MET' if c['qualifies'] else 'NOT MET'}."),
        Spacer(1, 6 * mm),
        p("Electronic signature", "Heading4"),
        p(f"{version.meaning}: {version.signer_name}, "
          f"{version.signed_at.strftime('%Y-%m-%d %H:%M:%S UTC')}"),
        p(f"Content SHA-256 {version.content_sha256}", "small"),
    ]
    doc.build(story)
    return out.getvalue()
