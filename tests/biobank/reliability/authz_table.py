"""The authorization matrix: every endpoint × every role × own site / other site → the status
a user gets. ONE table; test_authz_matrix.py turns each cell into a test.

Roles are played by the demo users: site staff are S01's (s01.tech, s01.coord), so "own" objects
are S01's and "other" objects are S02's; central staff (pathologist, monitor, admin) see every
site. Placeholders in URLs and bodies ({participant}, {specimen_collected}, ...) are filled
from the world built in conftest.py for the row's side. A 404 for another site's object is the
rule (existence must not leak across sites); 403 means "visible, but not your role"."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLES = ("technician", "pathologist", "coordinator", "monitor", "admin", "anonymous")
ACTING_USER: dict[str, str | None] = {
    "technician": "s01.tech", "pathologist": "pathologist", "coordinator": "s01.coord",
    "monitor": "monitor", "admin": "admin", "anonymous": None,
}
PW = "demo-Passw0rd!"


@dataclass(frozen=True)
class Row:
    method: str
    url: str  # a concrete URL with {placeholders}
    kind: str  # "none" | "own" | "other"
    expect: str  # statuses in ROLES order, space separated
    body: dict[str, Any] = field(default_factory=dict)  # form fields (pages) or JSON (API)
    rule: str = ""  # the Flask rule this row exercises ("" = same as url)
    note: str = ""
    writes: bool = False  # a GET that changes state (gets a fresh world, like the POSTs)

    @property
    def api(self) -> bool:
        return self.url.startswith("/api/")

    def status_for(self, role: str) -> int:
        codes = self.expect.split()
        assert len(codes) == len(ROLES), self
        return int(codes[ROLES.index(role)])


def _both(method: str, url: str, own: str, other: str, body: dict[str, Any] | None = None,
          rule: str = "") -> list[Row]:
    return [Row(method, url, "own", own, body or {}, rule),
            Row(method, url, "other", other, body or {}, rule)]


# Shorthands for the common patterns.      tech path coord mon admin anon
PAGE_READ_ALL = "200 200 200 200 200 302"
PAGE_READ_OTHER = "404 200 404 200 200 302"  # site staff do not see another site's objects
API_READ_ALL = "200 200 200 200 200 401"
API_READ_OTHER = "404 200 404 200 200 401"
AUDIT = "403 403 403 200 200 302"
PATHOLOGIST_ONLY = "403 303 403 403 403 302"
# Technicians and admins handle tubes: pack, ship, receive, store. Site staff act on their own
# site's objects only (another site's answer 404); central staff who may not handle tubes 403.
TUBES_PAGE = "{0} 403 403 403 {0} 302"
TUBES_PAGE_OTHER = "404 403 404 403 {0} 302"
TUBES_API = "{0} 403 403 403 {0} 401"
TUBES_API_OTHER = "404 403 404 403 {0} 401"


def _tubes(method: str, url: str, ok: str, body: dict[str, Any] | None = None, rule: str = "",
           admin: str = "") -> list[Row]:
    """A tube-handling row on both sides; ``admin`` when the admin's answer differs."""
    api = url.startswith("/api/")
    own, other = (TUBES_API, TUBES_API_OTHER) if api else (TUBES_PAGE, TUBES_PAGE_OTHER)
    codes_own = own.format(ok).split()
    codes_own[4] = admin or ok
    return _both(method, url, " ".join(codes_own), other.format(admin or ok), body, rule)


DISPOSE = {"action": "dispose", "reason": "authz matrix"}

TABLE: list[Row] = [
    # --- sign-in, home, language ---------------------------------------------------------
    Row("GET", "/login", "none", "200 200 200 200 200 200"),
    Row("POST", "/logout", "none", "302 302 302 302 302 302"),
    Row("GET", "/favicon.ico", "none", "200 200 200 200 200 200",
        note="the app's icon: no sign-in needed"),
    Row("POST", "/language", "none", "302 302 302 302 302 302", {"lang": "zh"}),
    Row("GET", "/", "none", PAGE_READ_ALL),
    # --- scan station (an expected tube of one's own site is registered by a technician) ---
    Row("GET", "/scan", "none", PAGE_READ_ALL),
    # Another site's tube in hand is named as such (403 other_site; docs/bench.md).
    *_both("POST", "/scan", PAGE_READ_ALL, "403 200 403 200 200 302",
           {"code": "{specimen_expected}"}),
    # --- participants and specimens ------------------------------------------------------
    Row("GET", "/participants/", "none", PAGE_READ_ALL),
    *_both("GET", "/participants/{participant}", PAGE_READ_ALL, PAGE_READ_OTHER,
           rule="/participants/<code>"),
    # {participant} is in screening: the C1D1 kit is an override, which names its reason.
    *_both("POST", "/participants/{participant}/visits/C1D1/kit",
           "302 302 302 403 302 302", "404 302 404 403 302 302",
           {"override_reason": "authz matrix"},
           rule="/participants/<code>/visits/<visit_code>/kit"),
    *_both("GET", "/specimens/{specimen_collected}", PAGE_READ_ALL, PAGE_READ_OTHER,
           rule="/specimens/<barcode>"),
    *_both("POST", "/specimens/{specimen_collected}/action",
           "302 302 302 403 302 302", "404 302 404 403 302 302", DISPOSE,
           rule="/specimens/<barcode>/action"),
    *_both("POST", "/specimens/{specimen_collected}/correct",
           "302 302 302 403 302 302", "404 302 404 403 302 302",
           {"field": "notes", "value": "re-labelled", "reason": "authz matrix"},
           rule="/specimens/<barcode>/correct"),
    # The bench's processing record (SPREC): as corrections, by the holding site or central.
    *_both("POST", "/specimens/{specimen_collected}/preanalytics",
           "302 302 302 403 302 302", "404 302 404 403 302 302", {},
           rule="/specimens/<barcode>/preanalytics"),
    *_both("POST", "/specimens/{specimen_at_central}/preanalytics",
           "403 302 403 403 302 302", "404 302 404 403 302 302", {},
           rule="/specimens/<barcode>/preanalytics"),
    # Corrections belong to the site that holds the tube: once at the central biobank, its
    # collection site's staff see it but may not correct it (issue 15, defect 9).
    *_both("POST", "/specimens/{specimen_at_central}/correct",
           "403 302 403 403 302 302", "404 302 404 403 302 302",
           {"field": "notes", "value": "re-labelled", "reason": "authz matrix"},
           rule="/specimens/<barcode>/correct"),
    # --- audit trail: monitors and admins ------------------------------------------------
    Row("GET", "/audit/", "none", AUDIT),
    Row("POST", "/audit/verify", "none", AUDIT),
    Row("GET", "/audit/export.csv", "none", AUDIT),
    # --- own account and tokens (a token of another user is not found) --------------------
    Row("GET", "/account/", "none", PAGE_READ_ALL),
    Row("POST", "/account/tokens", "none", "200 200 200 200 200 302", {"name": "matrix"}),
    Row("POST", "/account/tokens/{my_token}/revoke", "own", "302 302 302 302 302 302",
        rule="/account/tokens/<int:token_id>/revoke"),
    Row("POST", "/account/tokens/{their_token}/revoke", "other", "404 404 404 404 404 302",
        rule="/account/tokens/<int:token_id>/revoke"),
    # --- genotyping (pathologists upload, review and sign; coordinators record criteria) ---
    *_both("GET", "/genotyping/participants/{participant}", PAGE_READ_ALL, PAGE_READ_OTHER,
           rule="/genotyping/participants/<code>"),
    *_both("POST", "/genotyping/participants/{participant}/upload",
           "403 422 403 403 403 302", "403 422 403 403 403 302",
           rule="/genotyping/participants/<code>/upload"),
    Row("GET", "/genotyping/worklist", "none", "403 200 403 403 403 302"),
    # The page's two-step upload: without files, or without the first step's token, 422.
    *_both("POST", "/genotyping/participants/{participant}/receive",
           "403 422 403 403 403 302", "403 422 403 403 403 302",
           rule="/genotyping/participants/<code>/receive"),
    *_both("GET", "/genotyping/participants/{participant}/confirm",
           "403 422 403 403 403 302", "403 422 403 403 403 302",
           rule="/genotyping/participants/<code>/confirm"),
    *_both("POST", "/genotyping/participants/{participant}/confirm",
           "403 422 403 403 403 302", "403 422 403 403 403 302",
           rule="/genotyping/participants/<code>/confirm"),
    *_both("GET", "/genotyping/participants/{participant}/gate", PAGE_READ_ALL,
           PAGE_READ_OTHER, rule="/genotyping/participants/<code>/gate"),
    *_both("GET", "/genotyping/participants/{participant}/assessments/{assessment}",
           PAGE_READ_ALL, PAGE_READ_OTHER,
           rule="/genotyping/participants/<code>/assessments/<int:assessment_id>"),
    *_both("POST", "/genotyping/participants/{participant}/criteria",
           "403 403 303 403 403 302", "403 403 404 403 403 302",
           {"age": "54", "source": "authz matrix"},
           rule="/genotyping/participants/<code>/criteria"),
    *_both("GET", "/genotyping/analyses/{analysis}", PAGE_READ_ALL, PAGE_READ_OTHER,
           rule="/genotyping/analyses/<int:analysis_id>"),
    *_both("GET", "/genotyping/analyses/{analysis}/job", PAGE_READ_ALL, PAGE_READ_OTHER,
           rule="/genotyping/analyses/<int:analysis_id>/job"),
    *_both("POST", "/genotyping/analyses/{analysis_unsigned}/sign", PATHOLOGIST_ONLY,
           PATHOLOGIST_ONLY, {"password": PW, "confirm": "yes"},
           rule="/genotyping/analyses/<int:analysis_id>/sign"),
    *_both("POST", "/genotyping/analyses/{analysis}/amend", PATHOLOGIST_ONLY, PATHOLOGIST_ONLY,
           {"password": PW, "confirm": "yes", "reason": "authz matrix"},
           rule="/genotyping/analyses/<int:analysis_id>/amend"),
    # Retrying is for a failed classification: the matrix's analysis is done (409).
    *_both("POST", "/genotyping/analyses/{analysis}/retry", "403 409 403 403 403 302",
           "403 409 403 403 403 302", rule="/genotyping/analyses/<int:analysis_id>/retry"),
    *_both("POST", "/genotyping/variants/{variant}/override", PATHOLOGIST_ONLY,
           PATHOLOGIST_ONLY,
           {"field": "origin", "value": "somatic", "reason": "authz matrix"},
           rule="/genotyping/variants/<int:variant_id>/override"),
    *_both("GET", "/genotyping/reports/{report}/v1.pdf", PAGE_READ_ALL, PAGE_READ_OTHER,
           rule="/genotyping/reports/<int:report_id>/v<int:version>.pdf"),
    # Outside results (issue 19): pathologists enter them; everyone who sees the participant
    # may read the attached report.
    *_both("GET", "/genotyping/participants/{participant}/outside",
           "403 200 403 403 403 302", "404 200 404 403 403 302",
           rule="/genotyping/participants/<code>/outside"),
    *_both("POST", "/genotyping/participants/{participant}/outside",
           "403 422 403 403 403 302", "404 422 404 403 403 302",
           rule="/genotyping/participants/<code>/outside"),
    *_both("GET", "/genotyping/analyses/{outside_analysis}/documents/{outside_document}",
           PAGE_READ_ALL, PAGE_READ_OTHER,
           rule="/genotyping/analyses/<int:analysis_id>/documents/<int:input_id>"),
    # MLPA tables (issue 19): pathologists import them and record confirmations.
    *_both("GET", "/genotyping/participants/{participant}/mlpa",
           "403 200 403 403 403 302", "404 200 404 403 403 302",
           rule="/genotyping/participants/<code>/mlpa"),
    *_both("POST", "/genotyping/participants/{participant}/mlpa",
           "403 422 403 403 403 302", "404 422 404 403 403 302",
           rule="/genotyping/participants/<code>/mlpa"),
    *_both("POST", "/genotyping/variants/{mlpa_variant}/confirm", PATHOLOGIST_ONLY,
           PATHOLOGIST_ONLY, {"method": "qPCR", "reason": "authz matrix"},
           rule="/genotyping/variants/<int:variant_id>/confirm"),
    # --- JSON API (bearer tokens; session cookies are not accepted) ------------------------
    Row("GET", "/api/v1/openapi.json", "none", "200 200 200 200 200 200"),
    Row("GET", "/api/v1/me", "none", API_READ_ALL),
    Row("PATCH", "/api/v1/me", "none", API_READ_ALL, {"display_name": "Renamed"}),
    # No request body sets a role or a site.
    Row("PATCH", "/api/v1/me", "none", "422 422 422 422 422 401", {"role": "admin"}),
    Row("PATCH", "/api/v1/me", "none", "422 422 422 422 422 401", {"site": "CB"}),
    Row("PATCH", "/api/v1/me", "none", "422 422 422 422 422 401", {"site_id": 1}),
    Row("GET", "/api/v1/participants", "none", API_READ_ALL),
    *_both("GET", "/api/v1/participants/{participant}", API_READ_ALL, API_READ_OTHER,
           rule="/api/v1/participants/<code>"),
    *_both("GET", "/api/v1/participants/{participant}/enrollment-gate", API_READ_ALL,
           API_READ_OTHER, rule="/api/v1/participants/<code>/enrollment-gate"),
    *_both("POST", "/api/v1/participants/{participant}/genotyping",
           "403 422 403 403 403 401", "403 422 403 403 403 401",
           rule="/api/v1/participants/<code>/genotyping"),
    *_both("GET", "/api/v1/genotyping/analyses/{analysis}", API_READ_ALL, API_READ_OTHER,
           rule="/api/v1/genotyping/analyses/<int:analysis_id>"),
    *_both("POST", "/api/v1/genotyping/analyses/{analysis}/retry", "403 409 403 403 403 401",
           "403 409 403 403 403 401", rule="/api/v1/genotyping/analyses/<int:analysis_id>/retry"),
    # A scanned tube of another site is named as such (403 other_site), not hidden: the tube
    # is in hand, so its label existing is no secret (docs/bench.md).
    *_both("POST", "/api/v1/scan", API_READ_ALL, "403 200 403 200 200 401",
           {"code": "{specimen_expected}"}),
    *_both("GET", "/api/v1/specimens/{specimen_collected}", API_READ_ALL, API_READ_OTHER,
           rule="/api/v1/specimens/<barcode>"),
    *_both("POST", "/api/v1/specimens/{specimen_collected}/transitions",
           "200 200 200 403 200 401", "404 200 404 403 200 401", DISPOSE,
           rule="/api/v1/specimens/<barcode>/transitions"),
    # --- storage, shipments, labels: specimen- and participant-keyed endpoints, and forms.
    # Rows marked "validation first" send an empty body: a permitted role gets 422, and a
    # role that may not write still gets 403 where the view checks the role first.
    *_both("GET", "/api/v1/custody/{specimen_collected}", API_READ_ALL, API_READ_OTHER,
           rule="/api/v1/custody/<barcode>"),
    *_both("GET", "/api/v1/storage/specimens/{specimen_collected}/fhir", API_READ_ALL,
           API_READ_OTHER, rule="/api/v1/storage/specimens/<barcode>/fhir"),
    *_both("GET", "/api/v1/storage/specimens/{specimen_collected}/location", API_READ_ALL,
           API_READ_OTHER, rule="/api/v1/storage/specimens/<barcode>/location"),
    *_both("POST", "/api/v1/storage/specimens/{specimen_collected}/check-out",
           "409 403 403 403 409 401", "404 403 404 403 409 401",
           rule="/api/v1/storage/specimens/<barcode>/check-out"),
    *_both("POST", "/api/v1/storage/specimens/{specimen_collected}/check-in",
           "409 403 403 403 409 401", "404 403 404 403 409 401",
           rule="/api/v1/storage/specimens/<barcode>/check-in"),
    *_both("GET", "/storage/specimens/{specimen_collected}/fhir.json", PAGE_READ_ALL,
           PAGE_READ_OTHER, rule="/storage/specimens/<barcode>/fhir.json"),
    *_both("GET", "/shipments/custody/{specimen_collected}.csv", PAGE_READ_ALL,
           PAGE_READ_OTHER, rule="/shipments/custody/<barcode>.csv"),
    *_both("GET", "/labels/specimens/{specimen_collected}", PAGE_READ_ALL, PAGE_READ_OTHER,
           rule="/labels/<any(specimens, boxes, shipments, locations):kind>/<code>"),
    # The label PDF is a GET that records the first print (a reprint needs a reason): the
    # technicians' one-click print link. A role that may not print is refused before any write.
    Row("GET", "/labels/specimens/{specimen_collected}.pdf", "own", "200 200 200 403 200 302",
        rule="/labels/<any(specimens, boxes, shipments, locations):kind>/<code>.pdf",
        writes=True),
    Row("GET", "/labels/specimens/{specimen_collected}.pdf", "other",
        "404 200 404 403 200 302",
        rule="/labels/<any(specimens, boxes, shipments, locations):kind>/<code>.pdf",
        writes=True),
    *_both("GET", "/labels/specimens/{specimen_collected}.png", PAGE_READ_ALL,
           PAGE_READ_OTHER,
           rule="/labels/<any(specimens, boxes, shipments, locations):kind>/<code>.png"),
    *_both("GET", "/labels/kits/{participant}/SCR", PAGE_READ_ALL, PAGE_READ_OTHER,
           rule="/labels/kits/<code>/<visit_code>"),
    # The aliquot form sent empty: a read-only role is refused (403) before the form is read;
    # the others get the form's error, a 422 naming the missing quantity.
    *_both("POST", "/labels/specimens/{specimen_collected}/aliquot",
           "422 422 422 403 422 302", "404 422 404 403 422 302",
           rule="/labels/specimens/<code>/aliquot"),
    Row("GET", "/shipments/", "none", PAGE_READ_ALL),
    Row("GET", "/shipments/discrepancies", "none", PAGE_READ_ALL),
    Row("GET", "/shipments/receive", "none", PAGE_READ_ALL),
    Row("GET", "/shipments/conditions.pdf", "none", PAGE_READ_ALL),
    Row("GET", "/storage/", "none", PAGE_READ_ALL),
    Row("GET", "/storage/inventory.csv", "none", PAGE_READ_ALL),
    Row("GET", "/storage/rack-import", "none", PAGE_READ_ALL),
    Row("GET", "/storage/reports/completeness", "none", PAGE_READ_ALL),
    Row("GET", "/storage/use", "none", PAGE_READ_ALL),
    Row("GET", "/api/v1/shipments", "none", API_READ_ALL),
    Row("GET", "/api/v1/labels/stocks", "none", API_READ_ALL),
    Row("POST", "/storage/boxes", "none", "422 403 403 403 422 302"),
    Row("POST", "/storage/locations", "none", "422 403 403 403 422 302"),
    Row("POST", "/shipments/", "none", "422 403 403 403 422 302"),
    Row("POST", "/storage/rack-import/apply", "none", "422 403 403 403 422 302"),
    Row("POST", "/api/v1/shipments", "none", "422 403 403 403 422 401"),
    # Forms and API writes sent empty: the role is checked first (403), then the input (422).
    Row("POST", "/shipments/receive", "none", "422 403 403 403 422 302"),
    Row("POST", "/storage/use", "none", "422 403 403 403 422 302"),
    Row("POST", "/labels/print", "none", "422 422 422 403 422 302",
        note="no label chosen: refused, naming the codes field"),
    Row("POST", "/api/v1/storage/boxes", "none", "422 403 403 403 422 401"),
    Row("POST", "/api/v1/labels/print", "none", "422 422 422 403 422 401"),
    # Comparing a rack file with the database reads only (anyone who reads may compare);
    # applying it is the write, refused by role (the API applies when given a fingerprint).
    Row("POST", "/storage/rack-import", "none", "422 422 422 422 422 302",
        note="a comparison: no role needed"),
    Row("POST", "/api/v1/storage/rack-scans", "none", "422 422 422 422 422 401",
        note="a comparison: no role needed"),
    Row("POST", "/api/v1/storage/rack-scans", "none", "422 403 403 403 422 401",
        {"csv": "", "fingerprint": "x"}),
    # --- shipments keyed by their code. "own" shipments are S01's: outbound S01 -> CB (the
    # site technician is the sender) and inbound CB -> S01 (the site technician receives).
    *_both("GET", "/shipments/{ship_draft}", PAGE_READ_ALL, PAGE_READ_OTHER,
           rule="/shipments/<code>"),
    *_both("GET", "/shipments/{ship_draft}/manifest.csv", PAGE_READ_ALL, PAGE_READ_OTHER,
           rule="/shipments/<code>/manifest.<fmt>"),
    *_both("GET", "/shipments/{ship_receiving}/receive", PAGE_READ_ALL, PAGE_READ_OTHER,
           rule="/shipments/<code>/receive"),
    *_both("GET", "/api/v1/shipments/{ship_draft}", API_READ_ALL, API_READ_OTHER,
           rule="/api/v1/shipments/<code>"),
    *_both("GET", "/api/v1/shipments/{ship_draft}/manifest.csv", API_READ_ALL,
           API_READ_OTHER, rule="/api/v1/shipments/<code>/manifest.csv"),
    *_both("GET", "/api/v1/shipments/{ship_draft}/manifest.json", API_READ_ALL,
           API_READ_OTHER, rule="/api/v1/shipments/<code>/manifest.json"),
    # The sender's steps.
    *_tubes("POST", "/shipments/{ship_draft}/details", "302", {"courier": "Matrix courier"},
            rule="/shipments/<code>/details"),
    *_tubes("PATCH", "/api/v1/shipments/{ship_draft}", "200", {"courier": "Matrix courier"},
            rule="/api/v1/shipments/<code>"),
    *_tubes("POST", "/shipments/{ship_draft}/pack", "200", {"code": "{specimen_packable}"},
            rule="/shipments/<code>/pack"),
    *_tubes("POST", "/api/v1/shipments/{ship_draft}/items", "200",
            {"code": "{specimen_packable}"}, rule="/api/v1/shipments/<code>/items"),
    *_tubes("DELETE", "/api/v1/shipments/{ship_draft}/items/{specimen_packed}", "200",
            rule="/api/v1/shipments/<code>/items/<barcode>"),
    *_tubes("POST", "/shipments/{ship_draft}/action", "302", {"op": "ready"},
            rule="/shipments/<code>/action"),
    *_tubes("POST", "/shipments/{ship_ready}/action", "302", {"op": "ship", "confirm": "yes"},
            rule="/shipments/<code>/action"),
    *_tubes("POST", "/api/v1/shipments/{ship_draft}/ready", "200",
            rule="/api/v1/shipments/<code>/ready"),
    *_tubes("POST", "/api/v1/shipments/{ship_ready}/reopen", "200",
            rule="/api/v1/shipments/<code>/reopen"),
    *_tubes("POST", "/api/v1/shipments/{ship_ready}/ship", "200",
            rule="/api/v1/shipments/<code>/ship"),
    *_tubes("POST", "/api/v1/shipments/{ship_draft}/cancel", "200",
            {"reason": "authz matrix"}, rule="/api/v1/shipments/<code>/cancel"),
    *_tubes("POST", "/api/v1/shipments/{ship_in_transit}/lost", "200",
            {"reason": "authz matrix"}, rule="/api/v1/shipments/<code>/lost"),
    # The sender may not receive its own shipment.
    *_tubes("POST", "/api/v1/shipments/{ship_in_transit}/receipt", "403",
            rule="/api/v1/shipments/<code>/receipt", admin="201"),
    # The receiver's steps. The one open receipt belongs to the site technician who opened
    # it: anyone else, the admin too, is told so (409).
    *_tubes("POST", "/api/v1/shipments/{ship_inbound}/receipt", "201",
            rule="/api/v1/shipments/<code>/receipt"),
    Row("POST", "/shipments/receive", "own", TUBES_PAGE.format("302"),
        {"code": "{ship_inbound}"}),
    Row("POST", "/shipments/receive", "other", "404 403 403 403 302 302",
        {"code": "{ship_inbound}"}, note="the role is checked before the scanned code"),
    *_tubes("POST", "/shipments/{ship_receiving}/receive", "200",
            {"code": "{specimen_arriving}"}, rule="/shipments/<code>/receive", admin="409"),
    *_tubes("POST", "/api/v1/shipments/{ship_receiving}/receipt/scans", "200",
            {"code": "{specimen_arriving}"}, rule="/api/v1/shipments/<code>/receipt/scans",
            admin="409"),
    *_tubes("POST", "/shipments/{ship_receiving}/finish", "302",
            rule="/shipments/<code>/finish", admin="409"),
    *_tubes("POST", "/api/v1/shipments/{ship_receiving}/receipt/finish", "200",
            rule="/api/v1/shipments/<code>/receipt/finish", admin="409"),
    *_tubes("POST", "/shipments/{ship_discrepancy}/resolve", "302",
            {"specimen": "{specimen_missing}", "reason": "authz matrix"},
            rule="/shipments/<code>/resolve"),
    *_tubes("POST", "/api/v1/shipments/{ship_discrepancy}/items/{specimen_missing}/resolve",
            "200", {"reason": "authz matrix"},
            rule="/api/v1/shipments/<code>/items/<barcode>/resolve"),
    *_tubes("POST", "/shipments/{ship_received}/action", "302", {"op": "close"},
            rule="/shipments/<code>/action"),
    *_tubes("POST", "/api/v1/shipments/{ship_received}/close", "200",
            rule="/api/v1/shipments/<code>/close"),
    # --- storage keyed by a box or a location barcode ---------------------------------------
    *_both("GET", "/storage/boxes/{box}", PAGE_READ_ALL, PAGE_READ_OTHER,
           rule="/storage/boxes/<barcode>"),
    *_both("GET", "/api/v1/storage/boxes/{box}", API_READ_ALL, API_READ_OTHER,
           rule="/api/v1/storage/boxes/<barcode>"),
    *_both("GET", "/storage/locations/{location_shelf}", PAGE_READ_ALL, PAGE_READ_OTHER,
           rule="/storage/locations/<barcode>"),
    # A stored tube moved to another position of its box.
    *_tubes("POST", "/storage/boxes/{box}/store", "200",
            {"code": "{specimen_stored}", "position": "C3"},
            rule="/storage/boxes/<barcode>/store"),
    *_tubes("POST", "/api/v1/storage/boxes/{box}/store", "200",
            {"specimen": "{specimen_stored}", "position": "C3"},
            rule="/api/v1/storage/boxes/<barcode>/store"),
    *_tubes("POST", "/storage/locations/{location_shelf}/move", "302",
            {"target": "{location_fridge}"}, rule="/storage/locations/<barcode>/move"),
    *_tubes("POST", "/api/v1/storage/specimens/{specimen_stored}/check-out", "200",
            rule="/api/v1/storage/specimens/<barcode>/check-out"),
    # --- another site's object named in the body of a request on one's own object: site
    # staff (the coordinator too: an object one cannot see is looked up before the role) are
    # told it is not found; the admin, who sees it, that it is at another site. A scanned
    # tube (packing, storing) is the exception: it is in hand, so site staff are told it is
    # another site's tube (403 other_site), and nothing more.
    Row("POST", "/api/v1/shipments/{ship_draft}/items", "own", "403 403 403 403 409 401",
        {"code": "{their_specimen_packable}"}, rule="/api/v1/shipments/<code>/items"),
    Row("POST", "/shipments/{ship_draft}/pack", "own", "403 403 403 403 409 302",
        {"code": "{their_specimen_packable}"}, rule="/shipments/<code>/pack"),
    Row("DELETE", "/api/v1/shipments/{ship_draft}/items/{their_specimen_packed}", "own",
        "404 403 403 403 404 401", rule="/api/v1/shipments/<code>/items/<barcode>"),
    # A tube in hand that is not on the manifest is recorded as an extra (quarantined, its
    # custody untouched), whichever site it belongs to: the receiver must be able to report it.
    Row("POST", "/api/v1/shipments/{ship_receiving}/receipt/scans", "own",
        "200 403 403 403 409 401", {"code": "{their_specimen_arriving}"},
        rule="/api/v1/shipments/<code>/receipt/scans"),
    Row("POST", "/api/v1/shipments/{ship_discrepancy}/items/{their_specimen_missing}/resolve",
        "own", "404 403 403 403 404 401", {"reason": "authz matrix"},
        rule="/api/v1/shipments/<code>/items/<barcode>/resolve"),
    Row("POST", "/storage/boxes/{box}/store", "own", "403 403 403 403 409 302",
        {"code": "{their_specimen_stored}"}, rule="/storage/boxes/<barcode>/store"),
    Row("POST", "/api/v1/storage/boxes/{box}/store", "own", "404 403 404 403 409 401",
        {"specimen": "{their_specimen_stored}"}, rule="/api/v1/storage/boxes/<barcode>/store"),
    Row("POST", "/storage/locations/{location_shelf}/move", "own", "404 403 404 403 409 302",
        {"target": "{their_location_fridge}"}, rule="/storage/locations/<barcode>/move"),
    # --- labels of the other kinds (their visibility is their area's answer) ----------------
    *_both("GET", "/labels/specimens/{specimen_collected}.svg", PAGE_READ_ALL,
           PAGE_READ_OTHER,
           rule="/labels/<any(specimens, boxes, shipments, locations):kind>/<code>.svg"),
    *_both("GET", "/labels/boxes/{box}", PAGE_READ_ALL, PAGE_READ_OTHER,
           rule="/labels/<any(specimens, boxes, shipments, locations):kind>/<code>"),
    *_both("GET", "/labels/shipments/{ship_draft}", PAGE_READ_ALL, PAGE_READ_OTHER,
           rule="/labels/<any(specimens, boxes, shipments, locations):kind>/<code>"),
    # The package's shipping label: a GET that records the print, like the label PDF.
    Row("GET", "/labels/shipments/{ship_draft}/shipping-label.zpl", "own",
        "200 200 200 403 200 302",
        rule="/labels/shipments/<code>/shipping-label.<any(pdf, zpl):fmt>", writes=True),
    Row("GET", "/labels/shipments/{ship_draft}/shipping-label.zpl", "other",
        "404 200 404 403 200 302",
        rule="/labels/shipments/<code>/shipping-label.<any(pdf, zpl):fmt>", writes=True),
    *_both("POST", "/api/v1/shipments/{ship_draft}/shipping-label",
           "200 200 200 403 200 401", "404 200 404 403 200 401",
           rule="/api/v1/shipments/<code>/shipping-label"),
    *_both("GET", "/labels/locations/{location_shelf}.png", PAGE_READ_ALL, PAGE_READ_OTHER,
           rule="/labels/<any(specimens, boxes, shipments, locations):kind>/<code>.png"),
]

# Not endpoints a role is authorized for: static files, and the sign-in form's POST (open to
# everyone by design; its refusals, lockout and rate limit are tested in test_auth.py and
# test_faults.py, and each attempt costs a deliberate Argon2 hash).
NOT_IN_MATRIX = {("GET", "/static/<path:filename>"), ("POST", "/login")}


def covered_rules() -> set[tuple[str, str]]:
    return {(r.method, r.rule or r.url) for r in TABLE} | NOT_IN_MATRIX
