"""``python -m labels``: every format decodes; exit 2 for usage, 3 for unencodable data."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from labels.__main__ import main
from tests.conftest import missing_dependency
from tests.labels.helpers import PDFTOPPM, decode, pdf_pages, rasterise_svg, render_zpl_barcodes

CSV = (
    "kind,id,participant_code,visit,specimen_type,collection_date\n"
    "specimen,SP00000042N,MEN1-01-0042,C1D1,serum,2025-03-14\n"
    "aliquot,SP00000050N,MEN1-01-0042,C1D1,plasma,2025-03-14\n"
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labels", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf", "zpl"])
@pytest.mark.parametrize("symbology", ["code128", "datamatrix"])
def test_render_every_format_decodes(fmt: str, symbology: str, tmp_path: Path) -> None:
    out = tmp_path / f"x.{fmt}"
    text = "9912345"
    args = ["render", "--text", text, "--symbology", symbology, "--format", fmt, "-o", str(out)]
    assert main(args) == 0
    if fmt == "png":
        found = decode(Image.open(out))
    elif fmt == "svg":
        found = decode(rasterise_svg(out.read_text()))
    elif fmt == "zpl":
        found = decode(render_zpl_barcodes(out.read_text()))
    else:
        if PDFTOPPM is None:
            missing_dependency("pdftoppm not installed")
        found = decode(pdf_pages(out.read_bytes(), tmp_path)[0])
    assert found == [text]


def test_subprocess_exit_codes_and_one_line_reasons(tmp_path: Path) -> None:
    ok = _run("render", "--text", "SP00000042N", "--format", "png", "-o", str(tmp_path / "a.png"))
    assert ok.returncode == 0 and decode(Image.open(tmp_path / "a.png")) == ["SP00000042N"]

    usage = _run("render", "--text", "x", "--format", "gif", "-o", str(tmp_path / "a"))
    assert usage.returncode == 2 and "invalid choice" in usage.stderr

    bad = _run("render", "--text", "naïve", "--format", "png", "-o", str(tmp_path / "b.png"))
    assert bad.returncode == 3
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    assert "cannot be encoded" in bad.stderr
    assert not (tmp_path / "b.png").exists()


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["render", "--text", "x", "--format", "png"])
    assert exc.value.code == 2
    out = str(tmp_path / "x.zpl")
    assert main(["render", "--text", "x", "--format", "zpl", "--dpi", "600", "-o", out]) == 2
    assert (
        main(["batch", "--csv", str(tmp_path / "missing.csv"), "--format", "pdf", "-o", out]) == 2
    )
    assert "no such CSV" in capsys.readouterr().err


def test_batch_csv_to_pdf_zpl_and_png(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(CSV)
    assert (
        main(
            [
                "batch",
                "--csv",
                str(src),
                "--format",
                "zpl",
                "--dpi",
                "300",
                "-o",
                str(tmp_path / "o.zpl"),
            ]
        )
        == 0
    )
    formats = (tmp_path / "o.zpl").read_text().split("^XZ\n")[:-1]
    assert [decode(render_zpl_barcodes(f + "^XZ")) for f in formats] == [
        ["SP00000042N"],
        ["SP00000050N"],
    ]
    assert (
        main(
            [
                "batch",
                "--csv",
                str(src),
                "--format",
                "png",
                "--stock",
                "slide-a4",
                "-o",
                str(tmp_path / "png"),
            ]
        )
        == 0
    )
    for name in ("SP00000042N", "SP00000050N"):
        assert decode(Image.open(tmp_path / "png" / f"{name}.png")) == [name]
    assert main(["batch", "--csv", str(src), "--format", "svg", "-o", str(tmp_path / "svg")]) == 0
    for name in ("SP00000042N", "SP00000050N"):
        svg = (tmp_path / "svg" / f"{name}.svg").read_text()
        assert decode(rasterise_svg(svg, scale=1)) == [name]
    if PDFTOPPM is not None:
        assert (
            main(["batch", "--csv", str(src), "--format", "pdf", "-o", str(tmp_path / "o.pdf")])
            == 0
        )
        page = pdf_pages((tmp_path / "o.pdf").read_bytes(), tmp_path / "r")[0]
        assert sorted(decode(page)) == ["SP00000042N", "SP00000050N"]


@pytest.mark.parametrize(
    ("csv_text", "reason"),
    [
        ("id,name\nSP00000042N,Li Wei\n", "never names"),
        ("id,visit\nSP00000042X,C1D1\n", "line 2: "),
        ("id,participant_code\nSP00000042N,Wang Fang\n", "a name?"),
    ],
)
def test_batch_bad_data_exits_3_with_one_line(
    csv_text: str, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.csv"
    src.write_text(csv_text)
    assert main(["batch", "--csv", str(src), "--format", "pdf", "-o", str(tmp_path / "o")]) == 3
    err = capsys.readouterr().err
    assert reason in err and err.count("\n") == 1


def test_stdout_output(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["render", "--text", "SP00000042N", "--format", "png", "-o", "-"]) == 0
    assert decode(Image.open(io.BytesIO(capsysbinary.readouterr().out))) == ["SP00000042N"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(max_size=90),
    fmt=st.sampled_from(["png", "svg", "pdf", "zpl"]),
    symbology=st.sampled_from(["code128", "datamatrix"]),
)
def test_property_render_never_crashes(
    text: str, fmt: str, symbology: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"out.{fmt}"
    # "--text=…" so that a text starting with "-" is not taken for an option
    args = ["render", f"--text={text}", "--symbology", symbology, "--format", fmt, "-o", str(out)]
    code = main(args)
    err = capsys.readouterr().err
    assert code in (0, 3)
    if code == 3:
        assert err.count("\n") == 1 and "cannot encode" in err
