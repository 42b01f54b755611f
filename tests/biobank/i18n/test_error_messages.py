"""Refusals with data, and the enrolment gate's details, read in the user's language.

An API error formatted with data (a barcode, a status) is Chinese with ``Accept-Language: zh``
and English otherwise, with the same machine code and the data as ``params``; a scan screen's
refusal shows the Chinese detail; the gate (page and API) in Chinese has no English criterion
detail or source left, only the data (barcodes, numbers, units, names).
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from biobank import get_db
from biobank.i18n import Msg
from biobank.models import Participant, Specimen
from biobank.services import enrollment
from tests.biobank.genotyping.conftest import GOOD_CRITERIA
from tests.biobank.helpers import specimen_code
from tests.biobank.storage.conftest import make_freezer
from tests.conftest import post_form

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}
HAN = re.compile(r"[\u4e00-\u9fff]")
PARTICIPANT = "S01-0003"
# Words the same in both languages inside criterion texts (abbreviations and units).
SAME_IN_BOTH = {"ULN", "ECOG", "RECIST", "MEN1", "VCF", "mL", "min"}


def _transition(app: Flask, token: str, code: str, headers: dict[str, str]) -> Any:
    return app.test_client().post(
        f"/api/v1/specimens/{code}/transitions",
        data=json.dumps({"action": "consume", "reason": "used for DNA"}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 **headers})


def test_an_api_error_with_data_is_chinese_for_zh_and_english_otherwise(
        app: Flask, db: Any, api_token: Any) -> None:
    code = specimen_code(db, status="expected", site="S01")
    token = api_token("s01.tech")
    en, zh = _transition(app, token, code, EN), _transition(app, token, code, ZH)
    assert en.status_code == zh.status_code == 409
    e, z = json.loads(en.data)["error"], json.loads(zh.data)["error"]
    assert e["code"] == z["code"] == "invalid_transition"
    assert e["message"] == (f"{code} is expected; it can be consumed only when: "
                            "Checked out, Collected, Received, Stored")
    # The status and the allowed statuses are vocabulary, translated; the barcode is data.
    assert z["message"] == (f"标本 {code} 状态为“待采集”；只有在以下状态时才能用完："
                            "已出库、已采集、已接收、已入库")
    params = {"specimen": code, "status": "expected", "verb": "consumed",
              "allowed": "Checked out, Collected, Received, Stored"}
    assert e["params"] == z["params"] == params
    # Without any language preference: English.
    plain = _transition(app, token, code, {})
    assert json.loads(plain.data)["error"]["message"] == e["message"]


def test_an_api_not_found_names_the_code_in_both_languages(app: Flask, api_token: Any) -> None:
    token = api_token("s01.tech")
    auth = {"Authorization": f"Bearer {token}"}
    c = app.test_client()
    en = c.get("/api/v1/participants/S99-9999/enrollment-gate", headers={**auth, **EN})
    zh = c.get("/api/v1/participants/S99-9999/enrollment-gate", headers={**auth, **ZH})
    assert en.status_code == zh.status_code == 404
    e, z = json.loads(en.data)["error"], json.loads(zh.data)["error"]
    assert e["message"] == "no participant 'S99-9999' visible to you"
    assert z["message"] == "没有您可查看的受试者 'S99-9999'"
    assert e["params"] == z["params"] == {"participant": "S99-9999"}


def test_a_scan_screen_refusal_shows_the_chinese_detail(app: Flask, db: Any,
                                                        client_as: Any) -> None:
    box = make_freezer(app).box
    # Central staff see every site's specimens; a collected tube has not been received yet.
    code = specimen_code(db, status="collected", site="S01")
    c = client_as("cb.tech")
    post_form(c, "/language", {"lang": "zh", "next": "/scan"})
    r = post_form(c, f"/storage/boxes/{box}/store", {"code": code},
                  headers={"HX-Request": "true"})
    page = r.get_data(as_text=True)
    assert f"标本 {code} 状态为“已采集”；它尚未在生物样本库接收" in page, page
    assert "has not been received" not in page and "is collected" not in page
    post_form(c, "/language", {"lang": "en", "next": "/scan"})
    page = post_form(c, f"/storage/boxes/{box}/store", {"code": code},
                     headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f"{code} is collected; it has not been received at a biobank" in page


def test_a_refusal_page_shows_the_chinese_detail(db: Any, client_as: Any) -> None:
    code = specimen_code(db, status="collected", site="S01")
    c = client_as("s01.tech")
    post_form(c, "/language", {"lang": "zh", "next": "/scan"})
    r = post_form(c, f"/specimens/{code}/correct",
                  {"field": "specimen_type", "value": "serum", "reason": "typo"})
    assert r.status_code == 422
    main = html.unescape(r.get_data(as_text=True).split("<main")[1])
    assert "'specimen_type' 不能更正（可更正的字段：" in main, main
    assert "cannot be corrected" not in main


# --- the enrolment gate ----------------------------------------------------------------------
def _data(text: str) -> list[str]:
    """The data a criterion text was filled in with (not vocabulary): what may stay Latin."""
    if not isinstance(text, Msg):
        return []
    out: list[str] = []
    for part in getattr(text, "parts", ()):
        out += _data(part)
    for value in text.params.values():
        out += _data(value) if isinstance(value, Msg) else [str(value)]
    return out


def _english_left(text: str, data: list[str]) -> list[str]:
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    return [w for w in re.findall(r"[A-Za-z][A-Za-z0-9\-]{2,}", text) if w not in SAME_IN_BOTH]


def _record_criteria(app: Flask, client_as: Any) -> Any:
    coord = client_as("s01.coord")
    r = post_form(coord, f"/genotyping/participants/{PARTICIPANT}/criteria",
                  {**GOOD_CRITERIA, "haemoglobin": "8", "alp": "900",
                   "source": "lab report 2026-11-20, clinic note"})
    assert r.status_code == 303, r.get_data(as_text=True)[:300]
    with get_db(app).transaction() as s:
        p = s.execute(select(Participant).where(Participant.code == PARTICIPANT)).scalar_one()
        gate = enrollment.evaluate(s, p)
        blood = s.execute(select(Specimen.barcode).where(Specimen.participant_id == p.id)
                          ).scalars().first()
    return coord, gate, blood


def test_the_gate_page_in_chinese_has_no_english_criterion_detail(app: Flask,
                                                                  client_as: Any) -> None:
    coord, gate, blood = _record_criteria(app, client_as)
    post_form(coord, "/language", {"lang": "zh", "next": "/scan"})
    page = coord.get(f"/genotyping/participants/{PARTICIPANT}/gate").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-criterion="([^"]+)"[^>]*>(.*?)</tr>', page, re.S))
    assert set(rows) == {c.name for c in gate.criteria}
    problems = {}
    for c in gate.criteria:
        cells = [html.unescape(re.sub(r"<[^>]+>", "", td))
                 for td in re.findall(r"<td[^>]*>(.*?)</td>", rows[c.name], re.S)]
        detail, source = cells[2], cells[3]
        # The source cell links the records it cites: their codes and the site's time zone
        # abbreviation are data.
        left = (_english_left(detail, _data(c.detail))
                + [w for w in _english_left(source, _data(c.source))
                   if not re.fullmatch(r"[A-Z]{2}\d{8}[0-9A-Z]|CST", w)])
        if left:
            problems[c.name] = (detail, source, left)
    assert not problems, problems
    # The details with data read as sentences with the data in them.
    by_name = {c.name: c for c in gate.criteria}
    assert "年龄 54 岁（18-75）" in page
    # No number 128 in what the row shows (a time's digits, e.g. its microseconds in an
    # attribute, are not the value).
    shown = html.unescape(re.sub(r"<[^>]+>", " ", rows["haemoglobin"]))
    assert not re.search(r"(?<!\d)128(?!\d)", shown)
    assert "8 g/L = 0.8 g/dL（要求 &gt;= 10）" in page
    assert "入组标准由 s01.coord 记录" in rows["age"]
    assert "lab report 2026-11-20, clinic note" in page
    assert by_name["haemoglobin"].status == "not_met" and by_name["alp"].status == "not_met"
    assert blood  # the participant's specimens are named by barcode in the baseline rows
    # In English the same page shows the English texts, unchanged.
    post_form(coord, "/language", {"lang": "en", "next": "/scan"})
    en = html.unescape(coord.get(f"/genotyping/participants/{PARTICIPANT}/gate")
                       .get_data(as_text=True))
    for c in gate.criteria:
        assert str(c.detail) in en, c.name
        assert all(str(ref["text"]) in en for ref in c.links) if c.links else str(c.source) in en


def test_the_gate_api_answers_in_the_requested_language(app: Flask, client_as: Any,
                                                        api_token: Any) -> None:
    _coord, gate, _blood = _record_criteria(app, client_as)
    token = api_token("s01.coord")
    url = f"/api/v1/participants/{PARTICIPANT}/enrollment-gate"
    auth = {"Authorization": f"Bearer {token}"}
    zh = json.loads(app.test_client().get(url, headers={**auth, **ZH}).data)
    en = json.loads(app.test_client().get(url, headers={**auth, **EN}).data)
    assert zh["decision"] == en["decision"] == "not_eligible"  # codes do not change
    by_name = {c.name: c for c in gate.criteria}
    for z, e in zip(zh["criteria"], en["criteria"], strict=True):
        c = by_name[e["name"]]
        assert (e["label"], e["detail"], e["source"]) == (c.label, str(c.detail), str(c.source))
        assert z["name"] == e["name"] and z["status"] == e["status"]
        assert HAN.search(z["label"]), z
        assert not _english_left(z["detail"], _data(c.detail)), z
        assert not _english_left(z["source"], _data(c.source)), z


def test_a_refused_vcf_is_explained_in_chinese_around_the_engines_line(
        app: Flask, api_token: Any) -> None:
    from tests.biobank.genotyping.conftest import demo_specimens, upload
    from tests.biobank.genotyping.test_upload import wrong_ad_count

    demo = demo_specimens(app)
    token = api_token("pathologist")
    client = app.test_client()
    answers = {}
    for lang, headers in (("en", EN), ("zh", ZH)):
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = headers["Accept-Language"]
        resp = upload(client, wrong_ad_count(), demo, api_token=token)
        assert resp.status_code == 422
        answers[lang] = resp.get_json()["error"]
    en, zh = answers["en"], answers["zh"]
    assert en["code"] == zh["code"] == "invalid_vcf"
    line = en["params"]["reason"]  # the engine's one line: file, line, field
    assert "AD" in line and "line" in line
    assert en["message"] == f"the VCF was refused: {line}"
    assert zh["message"] == f"VCF 文件被拒收：{line}"


def test_a_refused_scan_reads_in_the_users_language(app: Flask, db: Any,
                                                    api_token: Any) -> None:
    """The commonest refusal at the bench: the ID scheme's reasons are the app's own sentences,
    so the detail under the heading is Chinese too, with the scanned text as data."""
    code = specimen_code(db, status="collected", site="S01")
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    token = api_token("s01.tech")
    cases = [(wrong, "bad_check", f"{wrong!r} has a wrong check character (misread or "
              "mistyped)", f"{wrong!r} 的校验字符错误（误读或输错）"),
             ("XX1", "bad_format", None, None),
             ("", "empty", "nothing was scanned", "未扫描到任何内容")]
    for scanned, reason, en_text, zh_text in cases:
        answers = {}
        for lang, headers in (("en", EN), ("zh", ZH)):
            resp = app.test_client().post(
                "/api/v1/scan", data=json.dumps({"code": scanned}),
                headers={"Authorization": f"Bearer {token}",
                         "Content-Type": "application/json", **headers})
            assert resp.status_code == 422, resp.data
            answers[lang] = json.loads(resp.data)["error"]
        assert answers["en"]["code"] == answers["zh"]["code"] == reason
        assert HAN.search(answers["zh"]["message"]) and not HAN.search(answers["en"]["message"])
        if en_text is not None:
            assert answers["en"]["message"] == en_text
            assert answers["zh"]["message"] == zh_text
