"""Switching the whole app between Chinese and English: pages, scan answers, errors, API
errors and times follow the choice, and the choice is remembered on the user's profile."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask_babel import force_locale, gettext
from sqlalchemy import select

from biobank import vocabulary
from biobank.models import AuditEvent, Site, Specimen
from tests.biobank.helpers import specimen_code, user
from tests.conftest import csrf_token, login, post_form

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
HAN = re.compile(r"[\u4e00-\u9fff]")


def _switch(client: Any, lang: str, next_path: str = "/scan") -> Any:
    return post_form(client, "/language", {"lang": lang, "next": next_path})


def test_switch_to_chinese_and_back_is_saved_on_the_profile(client_as: Any, db: Any) -> None:
    c = client_as("s01.tech")
    assert "Scan station" in c.get("/scan").get_data(as_text=True)

    resp = _switch(c, "zh")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/scan")
    page = c.get("/scan").get_data(as_text=True)
    assert 'lang="zh-Hans"' in page and "扫描工作站" in page and "Scan station" not in page
    assert "扫描标签（或输入编号后按回车）" in page
    db.rollback()
    assert user(db, "s01.tech").locale == "zh"
    changes = db.execute(select(AuditEvent).where(AuditEvent.action == "user.update",
                                                  AuditEvent.entity_id == "s01.tech")
                         .order_by(AuditEvent.id.desc())).scalars().first()
    assert changes is not None and changes.changes["locale"][1] == "zh"

    _switch(c, "en")
    page = c.get("/scan").get_data(as_text=True)
    assert 'lang="en"' in page and "Scan station" in page and "扫描工作站" not in page
    db.rollback()
    assert user(db, "s01.tech").locale == "en"


def test_saved_language_follows_the_user_to_a_new_session(app: Flask, client_as: Any) -> None:
    _switch(client_as("s02.coord"), "zh")
    fresh = app.test_client()  # another browser, English by default
    assert "Sign in" in fresh.get("/login").get_data(as_text=True)
    assert login(fresh, "s02.coord").status_code == 302
    assert "受试者" in fresh.get("/participants/").get_data(as_text=True)


def test_browser_preference_is_the_default(app: Flask) -> None:
    c = app.test_client()
    assert "登录" in c.get("/login", headers=ZH).get_data(as_text=True)
    assert "Sign in" in c.get("/login", headers={"Accept-Language": "en-GB"}).get_data(
        as_text=True)
    # An explicit choice beats the browser's.
    c.post("/language", data={"lang": "en", "next": "/login", "csrf_token": csrf_token(c)})
    assert "Sign in" in c.get("/login", headers=ZH).get_data(as_text=True)


def test_unknown_language_and_foreign_redirects_are_ignored(client_as: Any, db: Any) -> None:
    c = client_as("s01.tech")
    resp = post_form(c, "/language", {"lang": "fr", "next": "//evil.example/"})
    assert resp.status_code == 302 and "evil" not in resp.headers["Location"]
    db.rollback()
    assert user(db, "s01.tech").locale != "fr"


def test_scan_answers_in_chinese(app: Flask, client_as: Any, db: Any) -> None:
    code = specimen_code(db, status="expected", site="S01")
    c = client_as("s01.tech")
    _switch(c, "zh")
    hx = {"HX-Request": "true"}
    ok = post_form(c, "/scan", {"code": code}, headers=hx).get_data(as_text=True)
    assert "采集已登记" in ok and 'data-sound="ok"' in ok
    specimen_type = db.execute(select(Specimen.specimen_type)
                               .where(Specimen.barcode == code)).scalar_one()
    # The type comes from the translated vocabulary.
    with app.test_request_context(), force_locale("zh"):
        assert gettext(vocabulary.SPECIMEN_TYPES[specimen_type]) in ok
    assert "已采集" in ok  # the status, translated from vocabulary.STATUSES
    assert re.search(r"\d{4}年\d{2}月\d{2}日 \d{2}:\d{2} CST", ok)  # local time, zh style
    bad = post_form(c, "/scan", {"code": code[:-1] + ("0" if code[-1] != "0" else "1")},
                    headers=hx).get_data(as_text=True)
    assert "校验位错误" in bad and 'data-sound="bad_check"' in bad and "✖" in bad
    unknown = post_form(c, "/scan", {"code": "hello world"}, headers=hx).get_data(as_text=True)
    assert "不是有效的标签" in unknown


def test_error_pages_and_flashes_in_chinese(client_as: Any, db: Any) -> None:
    c = client_as("s01.tech")
    _switch(c, "zh")
    missing = c.get("/no-such-page")
    assert missing.status_code == 404 and "页面不存在" in missing.get_data(as_text=True)
    code = specimen_code(db, status="collected", site="S01")
    refused = post_form(c, f"/specimens/{code}/correct",
                        {"field": "notes", "value": "x", "reason": ""})
    assert refused.status_code == 422
    assert HAN.search(refused.get_data(as_text=True).split("<main>")[1])


def test_api_errors_carry_a_stable_code_and_a_translated_message(app: Flask,
                                                                api_token: Any) -> None:
    token = api_token("cb.tech")
    c = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    en = c.post("/api/v1/scan", data="not json", headers={**auth,
                                                            "Content-Type": "application/json"})
    zh = c.post("/api/v1/scan", data="not json", headers={**auth, **ZH,
                                                            "Content-Type": "application/json"})
    assert en.status_code == zh.status_code == 422
    e, z = json.loads(en.data)["error"], json.loads(zh.data)["error"]
    assert e["code"] == z["code"] == "bad_json"
    assert e["message"] == "expected a JSON object body"
    assert z["message"] == "请求体应为 JSON 对象"
    anon = c.get("/api/v1/specimens/SP00000001X", headers=ZH)
    assert anon.status_code == 401 and json.loads(anon.data)["error"]["code"] == "unauthenticated"
    assert HAN.search(json.loads(anon.data)["error"]["message"])


def test_times_are_shown_in_the_sites_zone(client_as: Any, db: Any) -> None:
    code = specimen_code(db, status="collected", site="S01")
    assert db.execute(select(Site.timezone).where(Site.code == "S01")).scalar_one() == (
        "Asia/Shanghai")
    c = client_as("s01.tech")
    en = c.get(f"/specimens/{code}").get_data(as_text=True)
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} CST", en)
    _switch(c, "zh")
    zh = c.get(f"/specimens/{code}").get_data(as_text=True)
    assert re.search(r"\d{4}年\d{2}月\d{2}日 \d{2}:\d{2} CST", zh)


def test_a_correction_accepts_the_local_date_people_type(client_as: Any, db: Any) -> None:
    code = specimen_code(db, status="collected", site="S01")
    c = client_as("s01.tech")
    _switch(c, "zh")
    ok = post_form(c, f"/specimens/{code}/correct",
                   {"field": "collected_at", "value": "2026年11月20日 09:30",
                    "reason": "transcription error"})
    assert ok.status_code == 302, ok.get_data(as_text=True)
    db.rollback()
    stored = db.execute(select(Specimen.collected_at).where(Specimen.barcode == code)).scalar_one()
    assert stored.astimezone(UTC) == datetime(2026, 11, 20, 1, 30, tzinfo=UTC)  # 09:30 CST
    assert "2026年11月20日 09:30 CST" in c.get(f"/specimens/{code}").get_data(as_text=True)
    bad = post_form(c, f"/specimens/{code}/correct",
                    {"field": "collected_at", "value": "20/13/2026", "reason": "x"})
    # The form again, the refusal in Chinese beside the value, what was typed kept.
    page = html.unescape(bad.get_data(as_text=True))
    assert bad.status_code == 422 and "不是有效日期：'20/13/2026'" in page
    assert 'data-field="value"' in page and 'value="20/13/2026"' in page


def test_message_lookup_never_returns_the_catalogue_header(app: Flask) -> None:
    from biobank.web import translate_message

    with app.test_request_context(headers=ZH):
        assert translate_message("") == ""
        assert translate_message("no such message 100%") == "no such message 100%"
        assert translate_message("Unknown code") == "未知编号"


def test_api_answers_in_the_token_users_saved_language(app: Flask, client_as: Any,
                                                       api_token: Any) -> None:
    _switch(client_as("cb.tech"), "zh")  # saved on the profile
    token = api_token("cb.tech")
    resp = app.test_client().post("/api/v1/scan", data="not json", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    err = json.loads(resp.data)["error"]
    assert err["code"] == "bad_json" and err["message"] == "请求体应为 JSON 对象"


def test_api_honours_accept_language_per_request_and_pages_keep_the_saved_choice(
        app: Flask, client_as: Any, api_token: Any) -> None:
    page_client = client_as("cb.tech")
    _switch(page_client, "zh")  # saved on the profile
    token = api_token("cb.tech")
    api = app.test_client()
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def message(**headers: str) -> dict[str, str]:
        resp = api.post("/api/v1/scan", data="not json", headers={**auth, **headers})
        assert resp.status_code == 422
        return dict(json.loads(resp.data)["error"])

    en = message(**{"Accept-Language": "en"})
    assert en == {**en, "code": "bad_json", "message": "expected a JSON object body"}
    zh = message(**{"Accept-Language": "zh-CN,zh;q=0.9"})
    assert zh["code"] == "bad_json" and zh["message"] == "请求体应为 JSON 对象"
    # No header: the token user's saved language; a language the app lacks: the same.
    assert message()["message"] == "请求体应为 JSON 对象"
    assert message(**{"Accept-Language": "fr"})["message"] == "请求体应为 JSON 对象"
    # Pages keep the saved preference whatever the browser sends.
    page = page_client.get("/scan", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="zh-Hans"' in page and "扫描工作站" in page
