"""Long fuzzing runs: the same hypothesis tests the suite runs bounded, with FUZZ_EXAMPLES
examples each (default 20,000): the scan/barcode parser, the scan endpoints, the rack-scanner
CSV importer (tests/biobank/reliability/test_fuzz_inputs.py) and the VCF reader
(tests/variant_calling/test_fuzz_reader.py).

Usage: ``python bench/fuzz_long.py [--examples N] [pytest args...]``; exit status is pytest's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ["tests/biobank/reliability/test_fuzz_inputs.py",
           "tests/variant_calling/test_fuzz_reader.py"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES",
                                                                       "20000")))
    args, rest = ap.parse_known_args()
    examples = max(1, min(args.examples, 10_000_000))
    targets = [t for t in TARGETS if (ROOT / t).exists()]
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *targets, *rest]
    print(f"FUZZ_EXAMPLES={examples} {' '.join(cmd[1:])}", flush=True)
    return subprocess.call(cmd, cwd=ROOT, env={**os.environ, "FUZZ_EXAMPLES": str(examples)})


if __name__ == "__main__":
    sys.exit(main())
