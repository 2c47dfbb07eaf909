"""Fuzz the X12 readers: ``python -m bench.fuzz_x12`` (``make fuzz``; not part of ``make test``).

Runs ``--count`` mutated inputs (default 1,000,000) in one process, round robin over the readers:
the 835 reader over a string (``iter_remittances``, each remittance's balancing checked) and over
a file read in pieces of random size (``read_835``), the 999, the 277CA and the 837P readers, and
``sniff.identify``. Each input is a golden file or a larger generated one (25-60 claims, about one
input in ten) mutated by ``bureau.x12.tests.mutations`` with one ``random.Random(seed)``.

The promise checked is the library's: bad input raises ``X12Error``, nothing else, and no input is
slow. Any other exception is counted by where it was raised (type and file:line of the innermost
frame) and its input saved under ``var/fuzz/`` with its traceback (``--replay FILE`` reads it
again). The 837P reader turns an unexpected exception into ``X12Error("unreadable 837P …")``: that
is counted apart, as ``masked``, by where the original was raised. An input still running after
``--input-timeout`` seconds is interrupted (SIGALRM) and counted by where it stood; the run stops at
``--budget`` seconds. The last line on stdout is one JSON object::

    {"bench": "fuzz_x12", "inputs": 1000000, "per_reader": {...}, "non_x12_error": 0,
     "by_location": {}, "masked": {}, "slowest": {"seconds": ..., "reader": ...}, ...}

Exit status 1 when any input raised another exception, was masked, or took over 1 s.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import random
import signal
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from bureau.x12.ack277 import Ack277, ClaimStatus
from bureau.x12.ack999 import GroupAck, SegmentError, TransactionAck
from bureau.x12.envelope import Envelope, Party
from bureau.x12.errors import X12Error
from bureau.x12.tests.mutations import READERS, Seed, mutated, seed
from bureau.x12.writer277ca import write_277ca
from bureau.x12.writer837 import write_837p
from bureau.x12.writer999 import write_999

GOLDEN = Path(__file__).resolve().parent.parent / "src" / "bureau" / "x12" / "tests" / "golden"
OUT = Path("var/fuzz")
SLOW_SECONDS = 1.0
SAVED_PER_LOCATION = 5
LARGE_SHARE = 0.1  # of inputs mutate a generated file of 25-60 claims rather than a golden one


class InputTimeout(BaseException):
    """Raised by SIGALRM inside a reader that runs past --input-timeout (a BaseException, so no
    reader's `except Exception` swallows it)."""


def _golden(name: str) -> str:
    with (GOLDEN / name).open(encoding="utf-8", newline="") as handle:
        return handle.read()


# -- larger seed files, written by Bureau's own writers ------------------------------------------

_ENVELOPE = Envelope(
    Party("SIMPAYER01"), Party("BUREAUSUB01"), 9001, 9001, datetime(2025, 3, 6, tzinfo=UTC)
)


def _large_835(claims: int) -> str:
    from bench.scale import synthetic_835  # writer835 only; no database is touched

    return synthetic_835(claims, seed=claims)


def _large_837p(claims: int) -> str:
    from bench.bench_x12_837 import interchange, synthetic_claims

    return write_837p(interchange(synthetic_claims(claims, seed=claims)))


def _large_999(sets: int) -> str:
    errors = (
        SegmentError("NM1", 17, "2010", "8", 9, "7", "XAC1", "PCN1"),
        SegmentError("CLM", 25, "2300", "8", 2, "6", "ABC"),
        SegmentError("DTP", 40, "2400", "2"),
    )
    acks = tuple(
        TransactionAck("837", f"{n:04d}", "005010X222A1", "R" if n % 3 else "A",
                       errors=errors[: n % 4] if n % 3 else ())
        for n in range(1, sets + 1)
    )  # fmt: skip
    accepted = sum(1 for a in acks if a.status == "A")
    group = GroupAck("HC", "8", "005010X222A1", "P", sets, sets, accepted, acks)
    return write_999(_ENVELOPE, group, transaction_control_number=2)


def _large_277ca(claims: int) -> str:
    base = ClaimStatus(
        patient_control_number="PCN0", category="A2", status_code="20",
        status_date=date(2025, 3, 6), action="WQ", charge=Decimal("250"),
        payer_claim_number="SIM0001", service_start=date(2025, 3, 3),
        patient_last_name="DOE", patient_first_name="JANE", member_id="XYZ123456789",
    )  # fmt: skip
    rejected = replace(base, category="A7", status_code="562", entity="IL", action="U",
                       message="MEMBER ID NOT FOUND", service_end=date(2025, 3, 5))  # fmt: skip
    statuses = tuple(
        replace(rejected if n % 4 == 0 else base, patient_control_number=f"PCN{n}",
                charge=Decimal(100 + n) / 4)
        for n in range(claims)
    )  # fmt: skip
    ack = Ack277(
        sender_id="SIMPAYER01", receiver_id="BUREAUSUB01", control_number="9001",
        transaction_control_number="1", reference="ACK0001", created=date(2025, 3, 6),
        payer_name="SIMULATED HEALTH PLAN", claims=statuses, payer_id="SIMPAYER01",
        receiver_name="NORTHWIND BILLING", submitter_id="BUREAUSUB01", receiver_trace="0001",
        received=date(2025, 3, 5), billing_provider_name="RIVERSIDE FAMILY MEDICINE",
        billing_provider_npi="1234567893",
    )  # fmt: skip
    return write_277ca(_ENVELOPE, ack, transaction_control_number=1, line_break=True)


LARGE: dict[str, Callable[[], list[str]]] = {
    "835": lambda: [_large_835(25), _large_835(60)],
    "999": lambda: [_large_999(25), _large_999(60)],
    "277CA": lambda: [_large_277ca(25), _large_277ca(60)],
    "837P": lambda: [_large_837p(25), _large_837p(60)],
}


def seeds() -> dict[str, tuple[list[Seed], list[Seed]]]:
    """Per reader: the golden seeds and the large ones (each checked to read cleanly)."""
    large = {kind: [seed(f"{kind}-large-{i}", t) for i, t in enumerate(make())]
             for kind, make in LARGE.items()}  # fmt: skip
    large["835-file"] = large["835"]
    large["sniff"] = [large["835"][0], large["999"][0], large["277CA"][0], large["837P"][0]]
    out = {}
    rng = random.Random(0)
    for kind, (names, read) in READERS.items():
        golden = [seed(name, _golden(name)) for name in names]
        for s in golden + large[kind]:
            read(s.text, rng)  # a seed that does not read cleanly would test nothing
        out[kind] = (golden, large[kind])
    return out


# -- the run ------------------------------------------------------------------------------------


def _location(tb: TracebackType | None) -> str:
    """file:line of the innermost frame, relative to the repository when inside it."""
    frames = traceback.extract_tb(tb)
    if not frames:
        return "?"
    last = frames[-1]
    path = last.filename
    for marker in ("/src/", "/bench/"):
        if marker in path:
            path = path[path.rindex(marker) + 1 :]
            break
    return f"{path}:{last.lineno}"


def _save(kind: str, key: str, text: str, detail: str, meta: dict[str, Any]) -> str:
    OUT.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]  # noqa: S324
    path = OUT / f"{kind}-{digest}.x12"
    path.write_text(text, encoding="utf-8", errors="surrogatepass", newline="")
    record = {"reader": kind, "location": key, "traceback": detail, **meta}
    path.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return str(path)


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise InputTimeout


def run(count: int, rng_seed: int, budget: float, input_timeout: float) -> dict[str, Any]:
    rng = random.Random(rng_seed)
    pool = seeds()
    kinds = list(READERS)
    readers = {kind: READERS[kind][1] for kind in kinds}
    per_reader: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    crashes: Counter[str] = Counter()
    masked: Counter[str] = Counter()
    saved: list[str] = []
    slowest = (0.0, "", "", 0)
    over_slow = 0
    timed = hasattr(signal, "setitimer") and input_timeout > 0
    if timed:
        signal.signal(signal.SIGALRM, _alarm)
    perf = time.perf_counter
    started = perf()
    # Collections are paused while inputs run (most allocations are short-lived strings); one
    # every 20,000 inputs keeps memory flat without timing a collection as some input's cost.
    gc.disable()
    try:
        for done in range(count):
            if done % 20_000 == 0:
                gc.collect()
                if perf() - started > budget:
                    break
            kind = kinds[done % len(kinds)]
            golden, large = pool[kind]
            base = rng.choice(large if rng.random() < LARGE_SHARE else golden)
            text = mutated(rng, base)
            read = readers[kind]
            error: BaseException | None = None
            if timed:
                signal.setitimer(signal.ITIMER_REAL, input_timeout)
            t0 = perf()
            try:
                read(text, rng)
                outcome = "result"
            except X12Error as exc:
                outcome = "x12_error"
                context = exc.__context__
                if "unreadable 837P" in exc.reason and context is not None:
                    outcome, error = "masked", context
            except (Exception, InputTimeout) as exc:  # the promise broken: record where
                outcome, error = "other", exc
            elapsed = perf() - t0
            if timed:
                signal.setitimer(signal.ITIMER_REAL, 0)
            per_reader[kind] += 1
            outcomes[outcome] += 1
            if elapsed > slowest[0]:
                slowest = (elapsed, kind, base.name, len(text))
            if elapsed > SLOW_SECONDS:
                over_slow += 1
                if over_slow <= SAVED_PER_LOCATION:
                    saved.append(_save(kind, "slow", text, f"{elapsed:.3f} s", {"base": base.name}))
            if error is not None:
                key = f"{type(error).__name__} at {_location(error.__traceback__)}"
                counter = masked if outcome == "masked" else crashes
                counter[key] += 1
                if counter[key] <= SAVED_PER_LOCATION:
                    detail = "".join(traceback.format_exception(error))
                    saved.append(_save(kind, key, text, detail, {"base": base.name}))
    finally:
        gc.enable()
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return {
        "bench": "fuzz_x12",
        "seed": rng_seed,
        "inputs": sum(per_reader.values()),
        "requested": count,
        "complete": sum(per_reader.values()) == count,
        "per_reader": dict(per_reader),
        "results": outcomes["result"],
        "x12_errors": outcomes["x12_error"],
        "non_x12_error": sum(crashes.values()),
        "by_location": dict(crashes.most_common()),
        "masked": dict(masked.most_common()),
        "slowest": {
            "seconds": round(slowest[0], 4),
            "reader": slowest[1],
            "base": slowest[2],
            "characters": slowest[3],
        },  # fmt: skip
        "over_1s": over_slow,
        "saved": saved[:20],
        "wall_seconds": round(perf() - started, 1),
    }


def replay(paths: list[str]) -> int:
    """Read saved inputs again with the reader named in their .json; print what each raises."""
    failed = 0
    for name in paths:
        path = Path(name)
        kind = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["reader"]
        with path.open(encoding="utf-8", errors="surrogatepass", newline="") as handle:
            text = handle.read()
        try:
            READERS[kind][1](text, random.Random(0))
            print(f"{path}: {kind}: read")
        except X12Error as exc:
            print(f"{path}: {kind}: X12Error: {exc}")
        except Exception:
            failed += 1
            print(f"{path}: {kind}:\n{traceback.format_exc()}")
    return 1 if failed else 0


def _arguments(argv: list[str]) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz_x12", description=__doc__)
    parser.add_argument("--count", type=int, default=int(env("FUZZ_COUNT", "1000000")))
    parser.add_argument("--seed", type=int, default=int(env("FUZZ_SEED", "0")))
    parser.add_argument("--budget", type=float, default=float(env("FUZZ_BUDGET", "1800")),
                        help="seconds; the run stops (incomplete) past it")  # fmt: skip
    parser.add_argument("--input-timeout", type=float, default=5.0,
                        help="seconds one input may run before it is interrupted")  # fmt: skip
    parser.add_argument("--replay", nargs="+", metavar="FILE", help="saved inputs to read again")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(sys.argv[1:] if argv is None else argv)
    if args.replay:
        return replay(args.replay)
    report = run(args.count, args.seed, args.budget, args.input_timeout)
    print(json.dumps(report, ensure_ascii=True), flush=True)
    broken = report["non_x12_error"] or report["masked"] or report["over_1s"]
    return 1 if broken or not report["complete"] else 0


if __name__ == "__main__":
    sys.exit(main())
