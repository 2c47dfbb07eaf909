"""Benchmark harness: ``python -m bench [NAME ...]``.

Discovers the modules ``bench/bench_*.py`` and runs each one's ``main()``; every benchmark prints
one JSON object per line on stdout. Names given on the command line (``x12`` or ``bench_x12``)
restrict the run. A final line summarises the run:
``{"bench": "harness", "benchmarks": N}`` (plus ``"failed"`` when a benchmark raised).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import traceback
from pathlib import Path


def discover() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(
        info.name for info in pkgutil.iter_modules([str(here)]) if info.name.startswith("bench_")
    )


def main(argv: list[str]) -> int:
    names = discover()
    if argv:
        wanted = {a if a.startswith("bench_") else f"bench_{a}" for a in argv}
        unknown = wanted - set(names)
        if unknown:
            print(f"unknown benchmark(s): {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        names = [n for n in names if n in wanted]
    failed = []
    for name in names:
        try:
            module = importlib.import_module(f"bench.{name}")
            module.main()
        except Exception:
            traceback.print_exc()
            failed.append(name)
        sys.stdout.flush()
    summary: dict[str, object] = {"bench": "harness", "benchmarks": len(names)}
    if failed:
        summary["failed"] = failed
    print(json.dumps(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
