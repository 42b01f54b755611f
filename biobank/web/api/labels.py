"""Labels JSON API: print the labels of codes as a PDF, as ZPL, or on the site's printer."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify

import labels as lib

from ...inputs import Choice, Integer, Text, TextList
from ...services import access
from ...services import labels as service
from ..auth import actor
from ..boundary import body
from ..labels import printer_settings
from ..transaction import db_session
from . import json_body, openapi_document, route

PRINT_BODY = body(
    codes=TextList(Text(64), max_items=service.MAX_LABELS, required=True),
    format=Choice(tuple(service.FORMATS)), stock=Choice(tuple(lib.STOCKS)),
    dpi=Integer(low=min(lib.ZPL_DPIS), high=max(lib.ZPL_DPIS)), reason=Text(500),
    start_row=Integer(low=1, high=99), start_column=Integer(low=1, high=99),
)
SHIPPING_BODY = body(
    format=Choice(service.SHIPPING_FORMATS),
    dpi=Integer(low=min(lib.ZPL_DPIS), high=max(lib.ZPL_DPIS)),
)
PRINT_RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["format", "printed", "reprinted", "labels"],
    "properties": {
        "format": {"type": "string"},
        "stock": {"type": "string"},
        "printer": {"type": "string", "nullable": True},
        "labels": {"type": "integer"},
        "bytes": {"type": "integer"},
        "printed": {"type": "array", "items": {"type": "string"}},
        "reprinted": {"type": "array", "items": {"type": "string"}},
    },
}
STOCKS_RESULT: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["name", "description", "symbology", "label_mm"],
        "properties": {
            "name": {"type": "string"},
            "description": {"type": "string"},
            "symbology": {"type": "string"},
            "label_mm": {"type": "array", "items": {"type": "number"}},
            "per_page": {"type": "integer", "nullable": True},
        },
    },
}


@route("/labels/stocks", "GET", summary="Label stocks a PDF can be printed on",
       response=STOCKS_RESULT, errors=(401,))
def get_label_stocks() -> Any:
    actor()
    return jsonify([
        {"name": s.name, "description": s.description, "symbology": s.symbology,
         "label_mm": list(s.label_mm), "per_page": s.per_page if s.page_mm else None}
        for s in lib.STOCKS.values()
    ])


@route("/labels/print", "POST",
       summary="Print the labels of specimen (SP), box (BX) or shipment (SH) codes: a PDF "
       "(format pdf), ZPL text (zpl), or ZPL sent to your site's network printer (printer). "
       "Codes printed before need a reason (a reprint); every print is audited. On a partly "
       "used PDF sheet, start_row and start_column name the first free label.",
       response=PRINT_RESULT, body=PRINT_BODY, errors=(401, 403, 404, 409, 422))
def post_label_print() -> Any:
    access.require_write(actor())  # before the body: 403 beats 422
    data = json_body()
    codes = data["codes"]
    fmt = data.get("format") or "pdf"
    stock = data.get("stock")
    reason = data.get("reason")
    settings = printer_settings()
    dpi = data.get("dpi", settings["dpi"])
    if fmt == "printer" and stock is None:
        stock = settings["stock"]
    job = service.print_labels(db_session(), actor(), codes, fmt=fmt, stock=stock,
                               reason=reason, dpi=dpi, timeout=settings["timeout"],
                               start=(data.get("start_row"), data.get("start_column")))
    if fmt in ("pdf", "zpl"):
        resp = Response(job.content, mimetype=job.mimetype)
        resp.headers["Content-Disposition"] = f'attachment; filename="{job.filename}"'
        return resp
    return jsonify({"format": fmt, "stock": job.stock, "printer": job.printer,
                    "labels": len(job.targets), "bytes": len(job.content),
                    "printed": job.first, "reprinted": job.reprinted})


# The decorator documents JSON answers only; a PDF or ZPL answer is declared here.
_op = openapi_document()["paths"]["/api/v1/labels/print"]["post"]
_op["responses"]["200"]["description"] = (
    "format pdf: the PDF; format zpl: the ZPL text; format printer: what was sent"
)
_op["responses"]["200"]["content"] = {
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
    "text/plain": {"schema": {"type": "string"}},
    "application/json": {"schema": PRINT_RESULT},
}


@route("/shipments/<code>/shipping-label", "POST",
       summary="The shipping label of a shipment's outer package: sender and recipient sites "
       "with their contacts, the UN3373 mark, the conditions and the shipment's Code128; an "
       "A6 PDF (format pdf) or ZPL for 100 x 150 mm thermal labels (zpl, at dpi). Audited.",
       response={"type": "string", "format": "binary"}, body=SHIPPING_BODY,
       errors=(401, 403, 404, 409, 422))
def post_shipping_label(code: str) -> Any:
    access.require_write(actor())
    data = json_body()
    job = service.shipping_label(
        db_session(), actor(), code, data.get("format") or "pdf",
        dpi=data.get("dpi", printer_settings()["dpi"]),
        cjk_font=current_app.config.get("LABEL_PRINTER_CJK_FONT") or None)
    resp = Response(job.content, mimetype=job.mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{job.filename}"'
    return resp


_op = openapi_document()["paths"]["/api/v1/shipments/{code}/shipping-label"]["post"]
_op["responses"]["200"]["description"] = "format pdf: the A6 PDF; format zpl: the ZPL text"
_op["responses"]["200"]["content"] = {
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
    "text/plain": {"schema": {"type": "string"}},
}
