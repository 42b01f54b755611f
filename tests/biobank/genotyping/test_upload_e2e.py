"""In Chromium: a large VCF upload shows its progress and lands on the analysis page; over the
limit it is refused before anything is sent; a refused file is explained in place with the
form's input kept (issue 18)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import browser_login

from .conftest import (
    NORMAL_COL,
    TUMOR_COL,
    demo_specimens,
    germline_stop,
    mutect2_vcf,
    receive_at_central,
)

pytestmark = pytest.mark.e2e

WATCH_PROGRESS = """
new MutationObserver(function () {
  var bar = document.querySelector('progress[data-upload-bar]');
  console.log('upload-progress ' + bar.value + ' ' + bar.max);
}).observe(document.querySelector('progress[data-upload-bar]'), {attributes: true});
"""


def fill_form(page: Any, demo: Any, path: Path) -> None:
    """The first step: the file and the specimens (the rest is read from the header)."""
    page.set_input_files("#paired", str(path))
    page.select_option("#normal_specimen", demo.blood)
    page.select_option("#tumor_specimen", demo.tumour)


def big_vcf(path: Path, size: int) -> Path:
    """A VCF of about ``size`` bytes: records on chromosome 1 before the MEN1 one (a real
    header is read whole, and the engine refuses one over 16 MiB)."""
    vcf = mutect2_vcf([germline_stop()])
    head, body = vcf.split(b"#CHROM", 1)
    columns, records = body.split(b"\n", 1)
    pad = b"chr1\t10000\t.\tA\tC\t.\tPASS\tDP=1;PAD=" + b"x" * 960 + \
        b"\tGT:AD:AF:DP\t0/1:1,1:0.5:2\t0/0:2,0:0.0:2\n"
    with path.open("wb") as fh:
        fh.write(head + b"#CHROM" + columns + b"\n")
        fh.write(pad * (size // len(pad)))
        fh.write(records)
    return path


def test_upload_progress_then_the_analysis(page: Any, live_server: Any, tmp_path: Path) -> None:
    app = live_server.app
    app.config["GENOTYPING_INLINE_MAX_BYTES"] = 0  # stays queued: no worker in this test
    demo = demo_specimens(app)
    receive_at_central(app, [demo.blood, demo.tumour])
    seen: list[tuple[float, float]] = []
    page.on("console", lambda m: seen.append(tuple(map(float, m.text.split()[1:])))
            if m.text.startswith("upload-progress") else None)
    browser_login(page, "pathologist")
    page.goto(f"/genotyping/participants/{demo.participant}")
    page.evaluate(WATCH_PROGRESS)
    fill_form(page, demo, big_vcf(tmp_path / "sample.vcf", 48 << 20))
    page.click("#upload-submit")
    page.wait_for_url(lambda url: "/confirm?" in url, timeout=60_000)
    assert seen, "no upload progress was shown"
    last_value, last_max = seen[-1]
    assert last_max > 48 << 20 and last_value == last_max, seen[-3:]
    # The header of the 48 MB file was read: its samples are proposed as it declares them.
    assert page.locator("#normal_sample-fixed").inner_text() == NORMAL_COL
    assert page.locator("#tumor_sample-fixed").inner_text() == TUMOR_COL
    page.click("#confirm-form button[type=submit]")
    page.wait_for_url(lambda url: "/genotyping/analyses/" in url)
    assert page.locator("#job").get_attribute("data-state") == "queued"
    assert "Confirmed; classification started." in page.content()


def test_over_the_limit_is_refused_before_sending(page: Any, live_server: Any,
                                                  tmp_path: Path) -> None:
    app = live_server.app
    app.config["GENOTYPING_UPLOAD_MAX_BYTES"] = 1 << 20
    demo = demo_specimens(app)
    receive_at_central(app, [demo.blood, demo.tumour])
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if r.method == "POST" else None)
    browser_login(page, "pathologist")
    requests.clear()
    page.goto(f"/genotyping/participants/{demo.participant}")
    fill_form(page, demo, big_vcf(tmp_path / "big.vcf", 2 << 20))
    page.click("#upload-submit")
    status = page.locator("[data-upload-status]")
    status.wait_for()
    assert status.get_attribute("data-outcome") == "too_large"
    assert "larger than the upload limit (1 MiB)" in status.inner_text()
    assert requests == []


def test_a_refused_file_is_explained_in_place(page: Any, live_server: Any,
                                              tmp_path: Path) -> None:
    app = live_server.app
    demo = demo_specimens(app)
    receive_at_central(app, [demo.blood, demo.tumour])
    browser_login(page, "pathologist")
    page.goto(f"/genotyping/participants/{demo.participant}")
    bad = tmp_path / "report.vcf"
    bad.write_bytes(b"%PDF-1.4 not a vcf")
    fill_form(page, demo, bad)
    page.click("#upload-submit")
    page.wait_for_selector("[data-upload-status][data-outcome='refused']")
    assert "not a VCF" in page.locator("[data-upload-status]").inner_text()
    assert "/participants/" in page.url
    assert page.input_value("#normal_specimen") == demo.blood  # the input is kept
