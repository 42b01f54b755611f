"""/favicon.ico answers (browsers ask for it on every page), and every page links the icon."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask
from PIL import Image


def test_favicon_is_served_without_signing_in(app: Flask) -> None:
    resp = app.test_client().get("/favicon.ico")
    assert resp.status_code == 200 and resp.mimetype == "image/vnd.microsoft.icon"
    assert "max-age=86400" in resp.headers["Cache-Control"]
    icon = Image.open(io.BytesIO(resp.data))
    assert icon.format == "ICO" and (32, 32) in icon.info["sizes"]


def test_every_page_links_the_icon(app: Flask, client_as: Any) -> None:
    for page in (app.test_client().get("/login"), client_as("s01.tech").get("/")):
        text = page.get_data(as_text=True)
        assert 'rel="icon" href="/static/favicon.svg" type="image/svg+xml"' in text
        assert 'rel="icon" href="/favicon.ico"' in text
    svg = app.test_client().get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.data.startswith(b"<svg")
