from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from variant_calling.cli import main

from .conftest import DEL4, R532X, Counts, deepvariant, mutect2

HET, T_LOH, ABSENT, T_SUB = Counts(20, 20), Counts(8, 52), Counts(40, 0), Counts(30, 20)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def test_json_output(make_vcf: Any, capsys: pytest.CaptureFixture[str]) -> None:
    p = make_vcf("mutect2", [mutect2(*R532X, HET, T_LOH), mutect2(*DEL4, ABSENT, T_SUB)])
    rc, out, err = run(["classify", str(p), "--format", "json"], capsys)
    assert rc == 0 and err == ""
    r = json.loads(out)
    assert r["men1_status"] == "germline_and_somatic" and r["qualifies"] is True
    assert r["normal_sample"] == "ARGO-evo_normal" and r["tumor_sample"] == "ARGO-evo"
    assert [v["origin"] for v in r["variants"]] == ["germline_loh", "somatic"]


def test_text_output(make_vcf: Any, capsys: pytest.CaptureFixture[str]) -> None:
    p = make_vcf("mutect2", [mutect2(*R532X, HET, T_LOH)])
    rc, out, _ = run(["classify", str(p), "--format", "text"], capsys)
    assert rc == 0
    assert "MEN1 status: germline" in out and "qualifies: YES" in out
    assert "c.1579C>T" in out and "germline_loh" in out


def test_normal_tumor_flags(make_vcf: Any, capsys: pytest.CaptureFixture[str]) -> None:
    n = make_vcf("deepvariant", [deepvariant(*R532X, HET)])
    t = make_vcf("deepvariant", [deepvariant(*R532X, T_LOH)])
    rc, out, _ = run(["classify", "--normal", str(n), "--tumor", str(t), "--build", "GRCh38"],
                     capsys)
    assert rc == 0 and json.loads(out)["variants"][0]["origin"] == "germline_loh"


def test_rules_file(make_vcf: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"min_normal_depth": 100}))
    p = make_vcf("mutect2", [mutect2(*DEL4, ABSENT, T_SUB)])
    rc, out, _ = run(["classify", str(p), "--rules", str(rules)], capsys)
    assert rc == 0 and json.loads(out)["variants"][0]["origin"] == "undetermined"


@pytest.mark.parametrize(
    "argv",
    [[], ["classify"], ["classify", "x.vcf", "--format", "xml"], ["bogus"],
     ["classify", "x.vcf", "--build", "hg19"]],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(argv, capsys)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("men1: usage error:")


def _bad_inputs(tmp: Path, make_vcf: Any) -> dict[str, Path]:
    good = make_vcf("mutect2", [mutect2(*R532X, HET, T_LOH)])
    files: dict[str, Path] = {}
    files["empty"] = tmp / "empty.vcf"
    files["empty"].write_bytes(b"")
    files["pdf"] = tmp / "report.vcf"
    files["pdf"].write_bytes(b"%PDF-1.7\n\x00\x01binary")
    subprocess.run(["bgzip", "-k", "-f", str(good)], check=True)
    gz = Path(str(good) + ".gz")
    files["truncated"] = tmp / "trunc.vcf.gz"
    files["truncated"].write_bytes(gz.read_bytes()[: len(gz.read_bytes()) // 2])
    files["gzip"] = tmp / "plain.vcf.gz"
    files["gzip"].write_bytes(gzip.compress(good.read_bytes()))
    files["non_utf8"] = tmp / "latin1.vcf"
    files["non_utf8"].write_bytes(good.read_bytes().replace(b"GERMQ=30", b"GERMQ=\xe930"))
    bad_ad = mutect2(*R532X, HET, T_LOH).replace(":20,20:", ":20:")
    files["number_r"] = make_vcf("mutect2", [bad_ad])
    files["undeclared"] = make_vcf("mutect2",
                                   [mutect2(*R532X, HET, T_LOH).replace("chr11", "11", 1)])
    dup = tmp / "dup.vcf"
    dup.write_text(good.read_text().replace("\tARGO-evo_normal\n", "\tARGO-evo\n"))
    files["duplicate_samples"] = dup
    files["contradiction"] = make_vcf("mutect2", [], extra=("##reference=hg19.fa",))
    return files


@pytest.mark.parametrize(
    "case,needle",
    [
        ("empty", "empty"),
        ("pdf", "PDF"),
        ("truncated", "truncated"),
        ("gzip", "plain gzip"),
        ("non_utf8", "non-UTF-8"),
        ("number_r", "field AD"),
        ("undeclared", "not declared"),
        ("duplicate_samples", "duplicate sample"),
        ("contradiction", "GRCh37"),
    ],
)
def test_bad_input_exit_3_one_line(
    case: str, needle: str, tmp_path: Path, make_vcf: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _bad_inputs(tmp_path, make_vcf)[case]
    rc, out, err = run(["classify", str(path)], capsys)
    assert rc == 3, err
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert needle in err and str(path) in err


def test_named_sample_absent_exit_3(make_vcf: Any, capsys: pytest.CaptureFixture[str]) -> None:
    p = make_vcf("mutect2", [])
    rc, _, err = run(["classify", str(p), "--tumor-sample", "T9"], capsys)
    assert rc == 3 and "'T9'" in err and "ARGO-evo_normal" in err


def test_build_contradiction_with_flag(make_vcf: Any, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(["classify", str(make_vcf("mutect2", [])), "--build", "GRCh37"], capsys)
    assert rc == 3 and "contradicts" in err


def test_crlf_and_symbolic_exit_0(make_vcf: Any, capsys: pytest.CaptureFixture[str]) -> None:
    rec = (f"chr11\t{R532X[0]}\t.\tG\t<INV>\t.\tPASS\tSVTYPE=INV;END=64805000\tGT:AD:AF:DP\t"
           "0/1:10,10:0.5:20\t0/0:20,0:0.0:20")
    p = make_vcf("mutect2", [rec, mutect2(*DEL4, ABSENT, T_SUB)])
    p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n"))
    rc, out, _ = run(["classify", str(p)], capsys)
    r = json.loads(out)
    assert rc == 0 and r["men1_status"] == "somatic"
    assert any("<INV>" in w for w in r["warnings"])


def test_entry_point_subprocess(make_vcf: Any) -> None:
    p = make_vcf("mutect2", [mutect2(*R532X, HET, T_LOH)])
    men1 = Path(sys.executable).with_name("men1")
    ok = subprocess.run([str(men1), "classify", str(p)], capture_output=True, text=True)
    assert ok.returncode == 0 and json.loads(ok.stdout)["qualifies"] is True
    bad = subprocess.run([str(men1), "classify", "/nonexistent.vcf"], capture_output=True,
                         text=True)
    assert bad.returncode == 3 and bad.stderr.count("\n") == 1
    assert "Traceback" not in bad.stderr


REAL = sorted((Path(__file__).resolve().parents[1] / "data" / "vcf").glob("*.vcf"))


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_every_real_file_classifies(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from variant_calling.reader import read_vcf

    data = read_vcf(path, whole_file=True)
    argv = ["classify"]
    if data.build == "unknown":
        argv += ["--build", "GRCh38"]
    if not data.header_roles:
        if len(data.samples) == 1:
            argv += ["--tumor", str(path)]
        else:
            argv += [str(path), "--normal-sample", data.samples[0],
                     "--tumor-sample", data.samples[1]]
    else:
        argv.append(str(path))
    rc, out, err = run(argv, capsys)
    assert rc == 0, err
    # None of these files has a record in the MEN1 window: nothing shows MEN1 was looked at.
    assert json.loads(out)["men1_status"] == "not_covered"


def test_clinvar_without_men1_records_warns(
    make_vcf: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    p = make_vcf("mutect2", [mutect2(*R532X, HET, T_LOH)])
    empty = REAL[0]  # any VCF without MEN1 records
    rc, out, _ = run(["classify", str(p), "--clinvar", str(empty)], capsys)
    r = json.loads(out)
    assert rc == 0 and r["known_variants_version"].startswith(empty.name)
    assert any("no MEN1 records" in w for w in r["warnings"])


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(["--version"], capsys)
    assert rc == 0 and out.strip() == "0.1.0"
