"""Uploads: content checks by magic bytes, the engine's refusals as 422 with its one line,
sample names checked against the linked specimens, idempotent re-upload, size limits before
the body is read, decompression bombs, path-traversal names, and the background job."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import subprocess
import threading
import time
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from biobank.models import GenotypingAnalysis, GenotypingFile
from biobank.services import genotyping
from tests.variant_calling.conftest import CHR11_38, R532X, Counts, deepvariant, header_of

from .conftest import (
    NORMAL_COL,
    TUMOR_COL,
    Demo,
    germline_stop,
    mutect2_vcf,
    upload,
)


def bgzip(data: bytes, tmp_path: Path) -> bytes:
    src = tmp_path / "in.vcf"
    src.write_bytes(data)
    subprocess.run(["bgzip", "-f", str(src)], check=True)
    return (tmp_path / "in.vcf.gz").read_bytes()


def wrong_ad_count() -> bytes:
    rec = germline_stop().split("\t")
    rec[9] = "0/1:5:0.901:50"  # AD is Number=R: two values expected, one given
    return mutect2_vcf(["\t".join(rec)])


def bad_inputs(tmp_path: Path) -> list[tuple[str, bytes, dict[str, str], str]]:
    good = mutect2_vcf([germline_stop()])
    text = good.decode()
    gz = bgzip(good, tmp_path)
    huge = text.replace("##source", "".join(
        f"##note{i}=" + "A" * 1000 + "\n" for i in range(17 * 1024)) + "##source", 1)
    return [
        ("empty", b"", {}, "the file is empty"),
        ("pdf named .vcf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n", {},
         "not a VCF: expected '##fileformat=VCF' text or a bgzipped VCF/BCF, found a PDF"),
        ("plain gzip", gzip.compress(good), {}, "compressed with plain gzip, not bgzip"),
        ("truncated bgzip", gz[: len(gz) // 2], {}, "truncated bgzip file"),
        ("non-UTF-8", text.replace("##source", "##lab=Caf\xe9\n##source", 1)
         .encode("latin-1"), {}, "non-UTF-8 byte 0xe9"),
        ("Number=R wrong count", wrong_ad_count(), {}, "Number=R"),
        ("undeclared contig", text.replace("##contig=<ID=chr11,length=135086622>\n", "")
         .encode(), {}, "contig 'chr11' is used but not declared"),
        ("duplicate sample names", text.replace(f"{TUMOR_COL}\t{NORMAL_COL}", "S1\tS1")
         .encode(), {"normal_sample": "S1", "tumor_sample": "S2"},
         "duplicate sample name 'S1'"),
        ("absent named sample", good, {"normal_sample": "BLOOD-X"},
         # Refused against the header before anything is classified, naming the file's own.
         f"BLOOD-X is not a sample of the file (its samples: {TUMOR_COL}, {NORMAL_COL})"),
        ("build contradiction", good, {"build": "GRCh37"}, "contradicts the header"),
        ("huge header", bgzip(huge.encode(), tmp_path), {}, "header larger than 16 MiB"),
    ]


def test_bad_input_is_refused_with_the_engines_one_line(app: Flask, api_token: Any,
                                                        demo: Demo, db: Any,
                                                        tmp_path: Path) -> None:
    client = app.test_client()
    token = api_token("pathologist")
    for name, content, fields, message in bad_inputs(tmp_path):
        resp = upload(client, content, demo, api_token=token, name="case.vcf", **fields)
        assert resp.status_code == 422, (name, resp.get_data(as_text=True)[:300])
        error = resp.get_json()["error"]
        assert message in error["message"], (name, error)
        assert "\n" not in error["message"] and "uploads" not in error["message"], name
    db.rollback()
    assert db.execute(select(func.count(GenotypingAnalysis.id))).scalar() == 0


def test_bad_input_on_the_page_says_why(client_as: Any, demo: Demo) -> None:
    page = client_as("pathologist")
    resp = upload(page, gzip.compress(mutect2_vcf([germline_stop()])), demo, name="x.vcf.gz")
    assert resp.status_code == 422
    assert "plain gzip, not bgzip" in resp.get_data(as_text=True)


def test_accepted_variants_of_the_format(app: Flask, api_token: Any, demo: Demo,
                                         tmp_path: Path) -> None:
    client = app.test_client()
    token = api_token("pathologist")
    crlf = upload(client, mutect2_vcf([germline_stop()], eol="\r\n"), demo, api_token=token)
    assert crlf.status_code == 201 and crlf.get_json()["men1_status"] == "germline"
    gz = upload(client, bgzip(mutect2_vcf([germline_stop()]), tmp_path), demo,
                api_token=token, name="pair.vcf.gz")
    assert gz.status_code == 201 and gz.get_json()["men1_status"] == "germline"
    rec = germline_stop().split("\t")
    rec[4] = "<DEL>"
    symbolic = upload(client, mutect2_vcf(["\t".join(rec)]), demo, api_token=token)
    assert symbolic.status_code == 201, symbolic.get_data(as_text=True)
    assert symbolic.get_json()["variants"] == []


def undeclared(vcf: bytes) -> bytes:
    """The same file without the header lines that declare the roles."""
    return b"".join(ln for ln in io.BytesIO(vcf).readlines()
                    if not ln.startswith((b"##normal_sample=", b"##tumor_sample=")))


def test_the_api_takes_the_roles_the_header_declares(app: Flask, api_token: Any,
                                                     demo: Demo, db: Any) -> None:
    """The one-step API upload proposes as the page's confirmation step does: a body that
    names no sample gets the header's ##normal_sample/##tumor_sample (the CLI does the same),
    and the answer says where each came from, with the caller and build found."""
    client = app.test_client()
    token = api_token("pathologist")
    resp = upload(client, mutect2_vcf([germline_stop()]), demo, api_token=token,
                  mapping=False, caller=None, caller_version=None, build=None)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["men1_status"] == "germline"
    assert (body["normal_sample"], body["tumor_sample"]) == (NORMAL_COL, TUMOR_COL)
    assert body["proposal"]["samples"] == {
        "normal": {"sample": NORMAL_COL, "source": "header",
                   "declared_by": f"##normal_sample={NORMAL_COL}"},
        "tumor": {"sample": TUMOR_COL, "source": "header",
                  "declared_by": f"##tumor_sample={TUMOR_COL}"}}
    # Caller, version and build left out of the body: the header's, as the page proposes.
    assert body["assay"] == {"caller": "Mutect2", "caller_version": "4.2.4.1",
                             "assay": "panel", "build": "GRCh38"}
    assert (body["proposal"]["caller_found"], body["proposal"]["build_found"]) == (
        "Mutect2", "GRCh38")
    # The same mapping given explicitly is the same analysis (not classified twice).
    again = upload(client, mutect2_vcf([germline_stop()]), demo, api_token=token)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    assert again.get_json()["proposal"]["samples"]["normal"]["source"] == "request"


def test_the_api_refuses_a_mapping_the_header_contradicts(app: Flask, api_token: Any,
                                                          demo: Demo, db: Any) -> None:
    client = app.test_client()
    token = api_token("pathologist")
    # Swapped against ##normal_sample/##tumor_sample: refused beside each field, before any
    # analysis exists (a large file would otherwise fail later on the job runner).
    resp = upload(client, mutect2_vcf([germline_stop()]), demo, api_token=token,
                  normal_sample=TUMOR_COL, tumor_sample=NORMAL_COL)
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "contradicts_header" and error["field"] == "normal_sample"
    assert set(error["fields"]) == {"normal_sample", "tumor_sample"}
    assert (f"the header declares ##normal_sample={NORMAL_COL}: {TUMOR_COL} cannot be the "
            "blood (normal) sample") in error["fields"]["normal_sample"]
    # One role named against the header, the other left open: still refused.
    resp = upload(client, mutect2_vcf([germline_stop()]), demo, api_token=token,
                  mapping=False, normal_sample=TUMOR_COL)
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "contradicts_header"
    # The Chinese answer keeps the stable code beside the translated sentence.
    resp = client.post(f"/api/v1/participants/{demo.participant}/genotyping", data={
        "paired": (io.BytesIO(mutect2_vcf([germline_stop()])), "pair.vcf"),
        "normal_specimen": demo.blood, "tumor_specimen": demo.tumour, "assay": "panel",
        "normal_sample": TUMOR_COL}, content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "zh-CN"})
    assert resp.status_code == 422
    zh = resp.get_json()["error"]
    assert zh["code"] == "contradicts_header" and "##normal_sample" in zh["message"]
    assert "cannot be the" not in zh["message"]
    db.rollback()
    assert db.execute(select(func.count(GenotypingAnalysis.id))).scalar() == 0


def test_without_declared_roles_the_api_needs_the_mapping(app: Flask, api_token: Any,
                                                          demo: Demo) -> None:
    client = app.test_client()
    token = api_token("pathologist")
    vcf = undeclared(mutect2_vcf([germline_stop()]))
    # No declaration, no NORMAL/TUMOR column names, samples not named as the barcodes: the
    # body must say which is which (never a guess by column order).
    resp = upload(client, vcf, demo, api_token=token, mapping=False)
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "sample_required"
    assert set(error["fields"]) == {"normal_sample", "tumor_sample"}
    resp = upload(client, vcf, demo, api_token=token, normal_sample="BLOOD-X",
                  tumor_sample=TUMOR_COL)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "sample_unknown"
    # Where the header declares nothing the body's mapping is taken as given.
    resp = upload(client, vcf, demo, api_token=token)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json()["proposal"]["samples"]["tumor"] == {
        "sample": TUMOR_COL, "source": "request", "declared_by": None}
    # Samples named by their specimens' barcodes need no mapping.
    named = undeclared(mutect2_vcf([germline_stop()], tumor=demo.tumour, normal=demo.blood))
    resp = upload(client, named, demo, api_token=token, mapping=False)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["men1_status"] == "germline"
    assert body["proposal"]["samples"]["normal"] == {
        "sample": demo.blood, "source": "specimen", "declared_by": None}


def test_same_file_again_returns_the_existing_result(app: Flask, api_token: Any, demo: Demo,
                                                     db: Any) -> None:
    client = app.test_client()
    token = api_token("pathologist")
    content = mutect2_vcf([germline_stop()])
    first = upload(client, content, demo, api_token=token, name="a.vcf")
    second = upload(client, content, demo, api_token=token, name="renamed.vcf")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["id"] == second.get_json()["id"]
    db.rollback()
    assert db.execute(select(func.count(GenotypingFile.id))).scalar() == 1
    assert db.execute(select(func.count(GenotypingAnalysis.id))).scalar() == 1


def test_stored_under_its_sha256_whatever_the_name(app: Flask, api_token: Any, demo: Demo,
                                                   db: Any) -> None:
    client = app.test_client()
    resp = upload(client, mutect2_vcf([germline_stop()]), demo,
                  api_token=api_token("pathologist"), name="../../../../tmp/evil\\..\\x.vcf")
    assert resp.status_code == 201
    sha = resp.get_json()["files"][0]["sha256"]
    uploads = Path(app.instance_path) / "uploads"
    assert sorted(os.listdir(uploads)) == [f"{sha}.vcf"]
    assert (uploads / f"{sha}.vcf").read_bytes() == mutect2_vcf([germline_stop()])
    db.rollback()
    row = db.execute(select(GenotypingFile)).scalar_one()
    assert row.stored_name == f"{sha}.vcf"
    assert row.original_name.endswith("x.vcf") and not {"/", "\\"} & set(row.original_name)
    assert genotyping._safe_name("..\\..\\evil/../../x.vcf") == "x.vcf"


class CountingStream(io.RawIOBase):
    """A request body that would be 1 GB if read; counts what the server actually reads."""

    def __init__(self, size: int) -> None:
        self.size = self.left = size
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:  # the test client measures the body by seeking, not reading
        return True

    def tell(self) -> int:
        return self.size - self.left

    def seek(self, offset: int, whence: int = 0) -> int:
        pos = {0: offset, 1: self.tell() + offset, 2: self.size + offset}[whence]
        self.left = self.size - pos
        return pos

    def readinto(self, buf: Any) -> int:
        n = min(len(buf), self.left, 65536)
        buf[:n] = b"x" * n
        self.left -= n
        self.read_bytes += n
        return n


@pytest.mark.parametrize("declared", [1 << 30, 10 << 20])
def test_oversized_upload_is_refused_before_reading(app: Flask, client_as: Any,
                                                    api_token: Any, demo: Demo,
                                                    declared: int) -> None:
    app.config["GENOTYPING_UPLOAD_MAX_BYTES"] = 2 << 20  # below the app-wide limit
    token = api_token("pathologist")
    page = client_as("pathologist")
    for client, path, headers in (
        (app.test_client(), f"/api/v1/participants/{demo.participant}/genotyping",
         {"Authorization": f"Bearer {token}"}),
        (page, f"/genotyping/participants/{demo.participant}/upload", {}),
    ):
        body = CountingStream(declared)
        resp = client.post(path, input_stream=body, headers={
            **headers, "Content-Length": str(declared),
            "Content-Type": "multipart/form-data; boundary=xyz"})
        assert resp.status_code == 413, (path, resp.get_data(as_text=True)[:200])
        assert body.read_bytes == 0, path
        # The answer names the limit (what would fit), on the page and through the API.
        assert "larger than the upload limit (2 MiB)" in resp.get_data(as_text=True), path
    resp = app.test_client().post(
        f"/api/v1/participants/{demo.participant}/genotyping",
        input_stream=CountingStream(declared),
        headers={"Authorization": f"Bearer {token}", "Content-Length": str(declared),
                 "Content-Type": "multipart/form-data; boundary=xyz"})
    assert resp.get_json()["error"]["code"] == "request_entity_too_large"
    zh = CountingStream(declared)
    resp = page.post(f"/genotyping/participants/{demo.participant}/upload", input_stream=zh,
                     headers={"Content-Length": str(declared), "Accept-Language": "zh",
                              "Content-Type": "multipart/form-data; boundary=xyz"})
    assert resp.status_code == 413 and zh.read_bytes == 0
    assert "文件超过上传上限（2 MiB）" in resp.get_data(as_text=True)


def test_decompression_bomb_is_capped(app: Flask, api_token: Any, demo: Demo,
                                      tmp_path: Path) -> None:
    app.config["GENOTYPING_MAX_DECOMPRESSED_BYTES"] = 4 << 20
    text = mutect2_vcf([germline_stop()]).decode()
    bomb = text.replace("##source", "".join(
        f"##pad{i}=" + "A" * 1000 + "\n" for i in range(8 * 1024)) + "##source", 1)
    resp = upload(app.test_client(), bgzip(bomb.encode(), tmp_path), demo,
                  api_token=api_token("pathologist"), name="bomb.vcf.gz")
    assert resp.status_code == 422
    assert "decompresses to more than 4 MiB" in resp.get_json()["error"]["message"]


def test_decompression_check_keeps_memory_flat(tmp_path: Path) -> None:
    # 256 MiB of zeros behind a VCF magic, gzip-compressed in chunks (about 250 KB on disk).
    path = tmp_path / "bomb.gz"
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    with open(path, "wb") as fh:
        fh.write(comp.compress(b"##fileformat=VCFv4.2\n"))
        zeros = b"\0" * (1 << 20)
        for _ in range(256):
            fh.write(comp.compress(zeros))
        fh.write(comp.flush())
    tracemalloc.start()
    try:
        with pytest.raises(genotyping.ValidationError, match="decompresses to more than"):
            genotyping.decompressed_kind(str(path), 128 << 20)
        _cur, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"peak {peak >> 20} MiB"
    assert genotyping.decompressed_kind(str(path), 512 << 20) == "vcf.gz"


def test_large_files_classify_off_the_request_thread(app: Flask, client_as: Any,
                                                     api_token: Any, demo: Demo, worker: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    app.config["GENOTYPING_INLINE_MAX_BYTES"] = 0  # everything goes to the job runner
    release = threading.Event()
    real = genotyping.variant_calling.classify

    def slow(*args: Any, **kw: Any) -> Any:
        assert release.wait(20)
        return real(*args, **kw)

    monkeypatch.setattr(genotyping.variant_calling, "classify", slow)
    token = api_token("pathologist")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    resp = upload(client, mutect2_vcf([germline_stop()]), demo, api_token=token)
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["state"] in ("queued", "running") and body["variants"] == []
    url = f"/api/v1/genotyping/analyses/{body['id']}"

    def poll(until: set[str]) -> dict[str, Any]:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            got = dict(client.get(url, headers=auth).get_json())
            if got["state"] in until:
                return got
            time.sleep(0.05)
        raise AssertionError(f"job never reached {until}")

    running = poll({"running"})
    assert 0 < running["progress"] < 100
    page = client_as("pathologist")
    fragment = page.get(f"/genotyping/analyses/{body['id']}/job").get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in fragment and 'data-state="running"' in fragment
    release.set()
    done = poll({"done", "failed"})
    assert done["state"] == "done" and done["progress"] == 100, done
    assert done["men1_status"] == "germline" and done["engine_version"]
    assert done["known_variants_version"]
    polled = page.get(f"/genotyping/analyses/{body['id']}/job?polling=1",
                      headers={"HX-Request": "true"})
    assert polled.headers.get("HX-Refresh") == "true"


def test_background_failure_is_shown_with_the_reason(app: Flask, client_as: Any,
                                                     api_token: Any, demo: Demo,
                                                     worker: Any) -> None:
    app.config["GENOTYPING_INLINE_MAX_BYTES"] = 0
    token = api_token("pathologist")
    client = app.test_client()
    # The header is sound (the upload reads it before answering); a record is not.
    resp = upload(client, wrong_ad_count(), demo, api_token=token, name="bad-record.vcf")
    assert resp.status_code == 201
    url = f"/api/v1/genotyping/analyses/{resp.get_json()['id']}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        body = client.get(url, headers={"Authorization": f"Bearer {token}"}).get_json()
        if body["state"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert body["state"] == "failed"
    assert "Number=R" in body["error"] and "bad-record.vcf" in body["error"]
    page = client_as("pathologist").get(f"/genotyping/analyses/{body['id']}")
    assert "Classification failed" in page.get_data(as_text=True)


def single_sample_vcf(sample: str, record: str) -> bytes:
    head = header_of("deepvariant_1.5.0_golden_single_sample.vcf", (CHR11_38,))
    head[-1] = head[-1].replace("NA12878", sample)
    return ("\n".join([*head, record]) + "\n").encode()


def test_a_blood_vcf_and_a_tumour_vcf(app: Flask, api_token: Any, demo: Demo) -> None:
    """Two single-sample files (DeepVariant layout), each named by its specimen's barcode."""
    pos, ref, alt = R532X
    blood = single_sample_vcf(demo.blood, deepvariant(pos, ref, alt, Counts(20, 20)))
    tumour = single_sample_vcf(demo.tumour, deepvariant(pos, ref, alt, Counts(4, 36)))
    client = app.test_client()
    data = {
        "normal": (io.BytesIO(blood), "blood.vcf"), "tumor": (io.BytesIO(tumour), "ffpe.vcf"),
        "normal_specimen": demo.blood, "tumor_specimen": demo.tumour,
        "caller": "DeepVariant", "caller_version": "1.5.0", "assay": "exome",
        "build": "GRCh38",
    }
    resp = client.post(f"/api/v1/participants/{demo.participant}/genotyping", data=data,
                       headers={"Authorization": f"Bearer {api_token('pathologist')}"},
                       content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert sorted(f["role"] for f in body["files"]) == ["normal", "tumor"]
    assert body["men1_status"] == "germline"
    v = body["variants"][0]
    assert v["origin"] == "germline_loh" and v["normal"]["vaf"] == 0.5
    assert v["tumor"]["vaf"] == 0.9
    # A tumour file without a linked tumour specimen is refused, not guessed.
    resp = client.post(f"/api/v1/participants/{demo.participant}/genotyping", data={
        **data, "normal": (io.BytesIO(blood), "blood.vcf"),
        "tumor": (io.BytesIO(tumour), "ffpe.vcf"), "tumor_specimen": ""},
        headers={"Authorization": f"Bearer {api_token('pathologist')}"},
        content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "link the tumour specimen" in resp.get_json()["error"]["message"]


def test_the_same_upload_twice_at_once(app: Flask, api_token: Any, demo: Demo,
                                       db: Any) -> None:
    """Two requests racing with the same file: one analysis, and no request fails with 500."""
    token = api_token("pathologist")
    content = mutect2_vcf([germline_stop()])
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def post() -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(upload(client, content, demo, api_token=token).status_code)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(statuses) in ([200, 201], [201, 409]), statuses
    db.rollback()
    assert db.execute(select(func.count(GenotypingAnalysis.id))).scalar() == 1
    assert db.execute(select(func.count(GenotypingFile.id))).scalar() == 1


class MultipartBody:
    """A multipart body made as it is read: one VCF part of ``size`` bytes (a valid header and
    record, then padding lines after them: the upload reads the header before answering, as a
    whole-genome gVCF's is read) and the form's fields; nothing held in memory."""

    def __init__(self, demo: Demo, size: int) -> None:
        self.boundary = "b0undary"
        head = mutect2_vcf([germline_stop()])
        fields = {"normal_specimen": demo.blood, "tumor_specimen": demo.tumour,
                  "caller": "Mutect2", "caller_version": "4.2.4.1", "assay": "panel",
                  "build": "GRCh38", "normal_sample": NORMAL_COL, "tumor_sample": TUMOR_COL}
        pre = "".join(f"--{self.boundary}\r\nContent-Disposition: form-data; name=\"{k}\""
                      f"\r\n\r\n{v}\r\n" for k, v in fields.items())
        pre += (f"--{self.boundary}\r\nContent-Disposition: form-data; name=\"paired\"; "
                f"filename=\"big.vcf\"\r\nContent-Type: text/plain\r\n\r\n")
        self.parts = [pre.encode(), head]
        pad = size - len(head)
        self.pad_line = b"#padding" + b"x" * 1015 + b"\n"  # 1 KiB
        self.pad_left = pad
        self.tail = [f"\r\n--{self.boundary}--\r\n".encode()]
        self.length = sum(map(len, self.parts)) + pad + sum(map(len, self.tail))
        self.sha = hashlib.sha256(head)
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        self.buffer = b""

    def _more(self) -> bytes:
        if self.parts:
            return self.parts.pop(0)
        if self.pad_left > 0:
            n = min(self.pad_left, 256 * 1024)
            lines = self.pad_line * (n // len(self.pad_line))
            chunk = lines + b"#" * (n - len(lines) - 1) + b"\n" if n > len(lines) else lines
            self.pad_left -= len(chunk)
            self.sha.update(chunk)
            return chunk
        if self.tail:
            return self.tail.pop(0)
        return b""

    # The test client measures the body by seeking to its end and back before reading it.
    position = 0

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = self.length + offset if whence == 2 else offset
        return self.position

    def read(self, n: int = -1) -> bytes:
        while len(self.buffer) < max(n, 1):
            more = self._more()
            if not more:
                break
            self.buffer += more
        out, self.buffer = (self.buffer, b"") if n < 0 else (self.buffer[:n],
                                                            self.buffer[n:])
        return out


def test_a_large_upload_streams_to_the_store_with_flat_memory(
        app: Flask, api_token: Any, demo: Demo) -> None:
    """64 MiB through the real form parser: Python's allocations stay a few MiB, and the file
    is stored whole under its SHA-256 (the benchmark does 2 GiB through gunicorn)."""
    app.config["GENOTYPING_INLINE_MAX_BYTES"] = 0  # no worker here: it stays queued
    body = MultipartBody(demo, 64 << 20)
    token = api_token("pathologist")
    tracemalloc.start()
    try:
        resp = app.test_client().post(
            f"/api/v1/participants/{demo.participant}/genotyping", input_stream=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": body.content_type,
                     "Content-Length": str(body.length)})
        _cur, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert resp.status_code == 201, resp.get_data(as_text=True)[:300]
    assert peak < 16 << 20, f"peak {peak >> 20} MiB"
    sha = resp.get_json()["files"][0]["sha256"]
    assert sha == body.sha.hexdigest()
    stored = os.path.join(app.instance_path, "uploads", f"{sha}.vcf")
    assert os.path.getsize(stored) == (64 << 20)


def test_the_upload_limit_is_8_gib_by_default(app: Flask) -> None:
    from biobank.web.genotyping import settings

    with app.app_context():
        assert settings(app).max_bytes == 8 << 30
    app.config["GENOTYPING_UPLOAD_MAX_BYTES"] = 1 << 20
    with app.app_context():
        assert settings(app).max_bytes == 1 << 20


def test_a_file_over_the_limit_inside_an_allowed_body_is_refused_and_not_kept(
        app: Flask, api_token: Any, demo: Demo) -> None:
    """The body fits the request's room for form fields but the file is over the limit: the
    stream stops there with a clear 422, and nothing of it stays in the store."""
    app.config["GENOTYPING_UPLOAD_MAX_BYTES"] = 1 << 20
    body = MultipartBody(demo, (3 << 20) // 2)
    resp = app.test_client().post(
        f"/api/v1/participants/{demo.participant}/genotyping", input_stream=body,
        headers={"Authorization": f"Bearer {api_token('pathologist')}",
                 "Content-Type": body.content_type, "Content-Length": str(body.length)})
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "too_large" and "larger than 1 MiB" in err["message"]
    uploads = os.path.join(app.instance_path, "uploads")
    assert os.listdir(uploads) == []


def test_the_openapi_document_says_what_the_upload_takes_from_the_header(app: Flask) -> None:
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/participants/{code}/genotyping"]["post"]
    assert "contradicts_header" in op["summary"] and "sample_required" in op["summary"]
    schema = op["responses"]["201"]["content"]["application/json"]["schema"]
    sample = schema["properties"]["proposal"]["properties"]["samples"]["properties"]["normal"]
    assert set(sample["properties"]["source"]["enum"]) == {*genotyping.SAMPLE_SOURCES, None}
    assert {"normal_sample", "tumor_sample"} <= set(schema["properties"])
