"""Run every benchmark in bench/ (``bench_*.py``), one process each, and print their reports.

``--quick`` passes ``--quick`` to each script that accepts it (smaller inputs, for a smoke
run); figures that matter come from the full run. Each script prints its own ratios against
its named baseline.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small inputs, for a smoke run")
    parser.add_argument("only", nargs="*", help="benchmark names (e.g. labels men1)")
    args = parser.parse_args()
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if any(o in s.stem for o in args.only)]
    failed = []
    for script in scripts:
        quick = args.quick and "--quick" in script.read_text()
        cmd = [sys.executable, str(script)] + (["--quick"] if quick else [])
        print(f"== {script.name} ({' '.join(cmd[2:]) or 'full'})", flush=True)
        start = time.perf_counter()
        code = subprocess.call(cmd, cwd=HERE.parent)
        print(f"== {script.name}: exit {code} after {time.perf_counter() - start:.1f} s\n",
              flush=True)
        if code:
            failed.append(script.name)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
