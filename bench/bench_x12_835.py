"""835 read rate and memory: Bureau's streaming reader beside an honest floor and the PHP peer.

For each shape (`era_shapes.SHAPES`: 1, 2-3 or 6 lines a claim, claim-level CAS with reversals,
a long PLB, deductibles of any amount, every amount different) at 1,000, 10,000 and 50,000
claims in ONE transaction set, on a file on disk, in the same run and in turns (best of five,
so load hits each alike):

- `bureau`: `stream_835` over the open file — reading it, parsing, the guide's balancing checks —
  summing CLP04, then one `gc.collect()`: the garbage the reader leaves is paid for in the timed
  region, not by whoever touches memory next;
- `floor`: reading the same file and splitting every segment into elements, dropping each (what
  any reader pays at least; not a list of every segment, which is three times slower);
- `openemr`: OpenEMR's `ParseERA::parse_era` (PHP), summing CLP04 in its claim callback, timed in
  its own process by `hrtime` — when `php` is on the PATH and `BENCH_OPENEMR_PARSEERA` names the
  peer's `ParseERA.php` (a copy of OpenEMR's source kept outside this repository).

Peak memory of the Bureau reader is measured in a separate, untimed pass in a fresh interpreter
(tracemalloc: every Python allocation from the first read on, the file's chunks and the reader's
caches included). Targets: Bureau ≥ 1.5× OpenEMR's claims/s at
every size, and under 64 MB at 50,000 claims. Both readers must agree on ΣCLP04 to the cent.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

SIZES = (1_000, 10_000, 50_000)
RUNS = 5
TARGET_VS_OPENEMR = 1.5
TARGET_PEAK_MB = 64
PEER_ENV = "BENCH_OPENEMR_PARSEERA"
ROOT = Path(__file__).resolve().parent.parent

# Our own harness for the peer (the peer's code is not in this repository): best of `runs`
# parse_era calls in one PHP process, the sum of CLP04 from its per-claim callback.
PHP_HARNESS = r"""<?php
error_reporting(0);
require $argv[1];
$best = INF; $paid = 0.0; $claims = 0; $error = '';
for ($r = 0; $r < (int)$argv[3]; $r++) {
    $paid = 0.0; $claims = 0;
    $started = hrtime(true);
    $error = OpenEMR\Billing\ParseERA::parse_era($argv[2], function ($out) use (&$paid, &$claims) {
        $paid += (float)$out['amount_approved']; $claims++;
    });
    $best = min($best, (hrtime(true) - $started) / 1e9);
}
echo json_encode(['seconds' => $best, 'claims' => $claims, 'paid' => sprintf('%.2f', $paid),
    'error' => $error, 'peak_bytes' => memory_get_peak_usage()]);
"""


def _emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def bureau_read(path: Path) -> tuple[int, Decimal]:
    """Claims and ΣCLP04 of the file, read as posting reads it (balancing checked)."""
    from bureau.x12.reader835 import stream_835
    from bureau.x12.remit835 import ClaimPayment, PaymentEnd

    claims, paid = 0, Decimal("0.00")
    with path.open(encoding="utf-8", newline="") as handle:
        for event in stream_835(handle):
            if type(event) is ClaimPayment:
                claims += 1
                paid += event.paid
            elif isinstance(event, PaymentEnd) and event.problems:
                raise AssertionError(event.problems[:3])
    gc.collect()  # the reader's garbage, paid for here (see `_measure`: only the read's)
    return claims, paid


def floor_read(path: Path) -> tuple[int, int]:
    """Segments and CLP count: read the file, split each segment into elements, drop it."""
    text = path.read_text(encoding="utf-8")
    terminator, separator = text[105], text[3]
    claims = segments = 0
    for raw in text.split(terminator):
        elements = raw.split(separator)
        segments += 1
        if elements[0] == "\nCLP":
            claims += 1
    return segments, claims


def _peak_mb(path: Path) -> float:
    """Peak traced memory of one read in a fresh interpreter: nothing cached beforehand."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.bench_x12_835", "--peak", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout) / 1e6


def _traced_peak(path: Path) -> int:
    tracemalloc.start()
    bureau_read(path)
    return tracemalloc.get_traced_memory()[1]


def _peer() -> tuple[str, str] | None:
    php, peer = shutil.which("php"), os.environ.get(PEER_ENV, "")
    if php and peer and Path(peer).is_file():
        return php, peer
    return None


def _php_read(php: str, peer: str, harness: Path, path: Path) -> dict[str, object]:
    done = subprocess.run(  # noqa: S603 - the machine's php, our harness, our file
        [php, str(harness), peer, str(path), "1"], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _measure(shape: str, claims: int, path: Path, peer: tuple[str, str] | None) -> None:
    harness = path.with_name("harness.php")
    runs: dict[str, Callable[[], object]] = {
        "bureau": lambda: bureau_read(path),
        "floor": lambda: floor_read(path),
    }
    if peer is not None:
        harness.write_text(PHP_HARNESS)
        runs["openemr"] = lambda: _php_read(*peer, harness, path)
    best: dict[str, float] = {name: float("inf") for name in runs}
    results: dict[str, object] = {}
    for _ in range(RUNS):
        for name, run in runs.items():
            # What was alive before goes to the permanent generation (untimed), so a collection
            # in the timed region traverses exactly what the read allocated: the reader's
            # debt, not the bench's own heap.
            gc.collect()
            gc.freeze()
            started = time.perf_counter()
            results[name] = run()
            elapsed = time.perf_counter() - started
            gc.unfreeze()
            if name == "openemr":
                elapsed = float(results[name]["seconds"])  # type: ignore[index]
            best[name] = min(best[name], elapsed)
    ours_claims, ours_paid = results["bureau"]  # type: ignore[misc]
    segments, floor_claims = results["floor"]  # type: ignore[misc]
    assert ours_claims == floor_claims == claims, (ours_claims, floor_claims, claims)
    common = {"bench": "x12_835_read", "shape": shape, "claims": claims, "segments": segments}
    common["bytes"] = path.stat().st_size
    for name, seconds in best.items():
        extra: dict[str, object] = {}
        if name == "bureau":
            extra = {"paid": str(ours_paid), "peak_mb": round(_peak_mb(path), 1)}
        elif name == "openemr":
            php = results[name]
            assert php["error"] == "" and php["claims"] == claims, php  # type: ignore[index]
            assert php["paid"] == str(ours_paid), (php, ours_paid)  # type: ignore[index]
            extra = {"paid": php["paid"], "peak_mb": round(php["peak_bytes"] / 1e6, 1)}  # type: ignore[index]
        _emit(
            **common,
            reader=name,
            seconds=round(seconds, 4),
            claims_per_s=round(claims / seconds),
            segments_per_s=round(segments / seconds),
            **extra,
        )
        if name == "bureau" and claims == max(SIZES):
            peak = extra["peak_mb"]
            _emit(**common, compare="bureau_peak_mb", peak_mb=peak, target_mb=TARGET_PEAK_MB,
                  meets_target=peak < TARGET_PEAK_MB)  # fmt: skip
    _emit(**common, compare="bureau_share_of_floor", share=round(best["floor"] / best["bureau"], 3))
    if "openemr" in best:
        ratio = best["openemr"] / best["bureau"]
        _emit(**common, compare="bureau_vs_openemr", ratio=round(ratio, 2),
              target_ratio=TARGET_VS_OPENEMR, meets_target=ratio >= TARGET_VS_OPENEMR)  # fmt: skip


def main() -> None:
    from bench.era_shapes import SHAPES, shaped_835

    peer = _peer()
    if peer is None:
        _emit(bench="x12_835_read", note=f"no PHP peer: install php-cli and set {PEER_ENV}")
    with tempfile.TemporaryDirectory(prefix="bench835-") as tmp:
        for shape in SHAPES:
            for claims in SIZES:
                path = Path(tmp) / f"{shape.name}-{claims}.835"
                path.write_text(shaped_835(shape, claims), encoding="utf-8")
                _measure(shape.name, claims, path, peer)
                path.unlink()


if __name__ == "__main__" and sys.argv[1:2] == ["--peak"]:
    print(_traced_peak(Path(sys.argv[2])))
