"""A large VCF upload through the app (issue 18): the app's memory during a 2 GiB upload
(goal: growth < 100 MB) and its time against ``cp`` of the same file on the same host.

The app runs under gunicorn (one worker, gthread, as docs/DEPLOY.md recommends) on
127.0.0.1 with SQLite and its upload store in a temp directory; the client streams a
multipart body from the file with ``http.client`` (it holds nothing in memory either). The
worker's RSS is sampled from /proc every 20 ms. The baseline is ``cp`` of the file into the
same directory, run right before (page cache warm for both). No worker runs: the job stays
queued (this measures the upload, not the classification).

Usage: ``python bench/bench_upload.py [--quick] [--size-mib N]``; ``--quick``: 256 MiB.
JSON in bench/out/upload.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import bench_load  # noqa: E402


def make_file(path: Path, size: int) -> None:
    """A gVCF-shaped file of ``size`` bytes: the real Mutect2 header and record, then
    reference blocks (``<NON_REF>``) filling the body, as a whole-genome gVCF's bulk is. The
    upload reads the header before it answers (the sample roles it proposes), so the padding
    is in the body, never the header."""
    from tests.biobank.genotyping.conftest import germline_stop, mutect2_vcf

    vcf = mutect2_vcf([germline_stop()])
    with path.open("wb") as fh:
        fh.write(vcf)
        left = size - len(vcf)
        pos = 64_000_000  # after the MEN1 record, sorted, on chr11
        while left > 0:
            block = b"".join(
                b"chr11\t%d\t.\tA\t<NON_REF>\t.\t.\tEND=%d\tGT:DP\t0/0:30\t0/0:30\n"
                % (p, p) for p in range(pos, pos + 16384))
            pos += 16384
            fh.write(block[:left] if len(block) > left else block)
            left -= len(block)
        if left < 0:  # the last block was cut: end the file on a whole line
            fh.seek(size - 1)
            fh.write(b"\n")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def upload(port: int, token: str, demo: Any, path: Path) -> tuple[int, str]:
    boundary = "bench-boundary"
    fields = {"normal_specimen": demo.blood, "tumor_specimen": demo.tumour,
              "caller": "Mutect2", "caller_version": "4.2.4.1", "assay": "genome",
              "build": "GRCh38", "normal_sample": "ARGO-evo_normal", "tumor_sample": "ARGO-evo"}
    pre = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                  for k, v in fields.items())
    pre += (f'--{boundary}\r\nContent-Disposition: form-data; name="paired"; '
            f'filename="genome.g.vcf"\r\nContent-Type: text/plain\r\n\r\n')
    post = f"\r\n--{boundary}--\r\n".encode()
    size = path.stat().st_size
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.putrequest("POST", f"/api/v1/participants/{demo.participant}/genotyping")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(pre.encode()) + size + len(post)))
    conn.endheaders()
    conn.send(pre.encode())
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            conn.send(chunk)
    conn.send(post)
    resp = conn.getresponse()
    body = resp.read().decode()
    conn.close()
    return resp.status, body


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="256 MiB instead of 2 GiB")
    ap.add_argument("--size-mib", type=int, default=2048)
    args = ap.parse_args()
    size = (256 if args.quick else args.size_mib) << 20
    tmp = Path(tempfile.mkdtemp(prefix="bench_upload_", dir=os.environ.get("BENCH_TMP")))
    try:
        from sqlalchemy import select

        from biobank import create_app, get_db
        from biobank.models import User
        from biobank.services import users
        from tests.biobank.genotyping.conftest import demo_specimens, receive_at_central

        url = f"sqlite:///{tmp / 'upload.db'}"
        bench_load.build_database(url, 0)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
        app.instance_path = str(tmp / "instance")
        demo = demo_specimens(app)
        receive_at_central(app, [demo.blood, demo.tumour])
        with get_db(app).transaction() as s:
            p = s.execute(select(User).where(User.username == "pathologist")).scalar_one()
            token, _t = users.create_token(s, p, p, "bench")
        get_db(app).dispose()
        uploads = tmp / "uploads"
        uploads.mkdir()
        src = tmp / "genome.g.vcf"
        make_file(src, size)
        subprocess.run(["sync"], check=False)

        start = time.perf_counter()
        shutil.copyfile(src, uploads / "cp-baseline")  # what `cp` does (copy_file_range)
        subprocess.run(["sync", "-f", str(uploads)], check=False)
        cp_s = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run(["cp", str(src), str(uploads / "cp-baseline2")], check=True)
        subprocess.run(["sync", "-f", str(uploads)], check=False)
        cp_s = min(cp_s, time.perf_counter() - start)
        for name in ("cp-baseline", "cp-baseline2"):
            (uploads / name).unlink()

        env = {"BIOBANK_DATABASE_URL": url, "BIOBANK_SECRET_KEY": "bench",
               "BIOBANK_SESSION_COOKIE_SECURE": "0", "BIOBANK_UPLOAD_DIR": str(uploads),
               "BIOBANK_GENOTYPING_INLINE_MAX_BYTES": "0", "BENCH_DB_URL": url}
        server = bench_load.Server("app", "biobank:create_app()", env, 1)
        try:
            (pid,) = server.workers()
            before = rss_kb(pid)
            peak = [before]
            done = threading.Event()

            def sample() -> None:
                while not done.wait(0.02):
                    try:
                        peak.append(rss_kb(pid))
                    except OSError:
                        return

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            start = time.perf_counter()
            status, body = upload(server.port, token, demo, src)
            subprocess.run(["sync", "-f", str(uploads)], check=False)
            up_s = time.perf_counter() - start
            done.set()
            sampler.join()
        finally:
            server.stop()
        assert status == 201, body[:300]
        growth_mb = (max(peak) - before) / 1024
        mib = size >> 20
        results = {"size_mib": mib, "upload_s": up_s, "cp_s": cp_s, "ratio": up_s / cp_s,
                   "upload_mib_per_s": mib / up_s, "rss_before_mb": before / 1024,
                   "rss_growth_mb": growth_mb, "loadavg": Path("/proc/loadavg").read_text()
                   .split()[:3]}
        print(f"upload of {mib} MiB: {up_s:.2f} s ({mib / up_s:.0f} MiB/s); cp of the same "
              f"file {cp_s:.2f} s → ratio {up_s / cp_s:.2f}; app worker RSS {before / 1024:.0f} "
              f"MB before, growth {growth_mb:.1f} MB (goal < 100 MB); load "
              f"{' '.join(results['loadavg'])}")
        out = ROOT / "bench" / "out"
        out.mkdir(exist_ok=True)
        (out / "upload.json").write_text(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
