"""The hostile-input suite's figures for docs/RELIABILITY.md: runs
tests/biobank/reliability/test_hostile_inputs.py (SQLite and PostgreSQL) and prints, per area
and engine, the fields tried, the requests sent, 5xx answers and refusals that wrote anything.

    .venv/bin/python bench/hostile_report.py            # the markdown table on stdout
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE = "tests/biobank/reliability/test_hostile_inputs.py"


def main() -> int:
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "HOSTILE_REPORT_DIR": out}
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                              "-p", "no:cacheprovider", SUITE], cwd=ROOT, env=env, check=False)
        totals: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for path in Path(out).glob("hostile-*.json"):
            for row in json.loads(path.read_text()):
                for key, value in row.items():
                    if key not in ("engine", "area"):
                        totals[(row["area"], row["engine"])][key] += value
    print("| area | engine | fields | requests | refused (4xx) | accepted | 5xx | "
          "partial writes |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (area, engine), v in sorted(totals.items()):
        print(f"| {area} | {engine} | {v['fields']} | {v['cases']} | {v['refused']} | "
              f"{v['accepted']} | {v['5xx']} | {v['partial_writes']} |")
        for key, value in v.items():
            sums[engine][key] += value
    for engine, v in sorted(sums.items()):
        print(f"| **all** | {engine} | {v['fields']} | {v['cases']} | {v['refused']} | "
              f"{v['accepted']} | {v['5xx']} | {v['partial_writes']} |")
    print(f"\npytest exit status: {run.returncode}")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
