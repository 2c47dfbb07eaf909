"""835 parse rate on one 10,000-claim file, three ways in the same run on the same text:

(a) our streaming reader (`iter_remittances`: typed dataclasses, Decimal amounts, structure
    checks), (b) a bare split of the file into segments and elements (the floor any reader pays),
(c) pyx12 validating the file (the public validator, for scale).

(a) and (b) run in turns, best of five, on the file as many payers send it (a line break after
each segment) and compact (no breaks); one JSON object per measure and one comparison per layout.
Target: our reader at least 50 % of the bare split's rate. pyx12 runs once (it is slow).
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable

CLAIMS = 10_000
TARGET_RATIO = 0.5
RUNS = 5


def _interleaved_best(runs: int, *fns: Callable[[], int]) -> list[tuple[float, int]]:
    """Best time of `runs` for each function, run in turns so load hits them alike."""
    best = [(float("inf"), 0)] * len(fns)
    for _ in range(runs):
        for i, fn in enumerate(fns):
            started = time.perf_counter()
            result = fn()
            best[i] = (min(best[i][0], time.perf_counter() - started), result)
    return best


def _emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def _compare(layout: str, text: str) -> float:
    """Our reader against a bare split of `text`; returns our best time."""
    from bureau.x12.reader835 import iter_remittances

    terminator, separator = text[105], text[3]

    def ours() -> int:
        return sum(len(r.claims) for r in iter_remittances(text))

    def bare_split() -> int:
        rows = [seg.split(separator) for seg in text.split(terminator)]
        return sum(1 for row in rows if row[0].strip() == "CLP")

    (ours_s, ours_claims), (split_s, split_claims) = _interleaved_best(RUNS, ours, bare_split)
    assert ours_claims == split_claims == CLAIMS, (ours_claims, split_claims)
    segments = text.count(terminator)
    for name, seconds in (("ours", ours_s), ("bare_split", split_s)):
        _emit(
            bench="x12_835_parse",
            reader=name,
            layout=layout,
            claims=CLAIMS,
            segments=segments,
            bytes=len(text),
            seconds=round(seconds, 4),
            claims_per_s=round(CLAIMS / seconds),
        )
    ratio = split_s / ours_s
    _emit(
        bench="x12_835_parse",
        compare="ours_vs_bare_split",
        layout=layout,
        ratio=round(ratio, 3),
        target_ratio=TARGET_RATIO,
        meets_target=ratio >= TARGET_RATIO,
    )
    return ours_s


def _pyx12_seconds(text: str) -> tuple[float, bool]:
    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    param = pyx12.params.ParamsBase()
    param.set("charset", "E")
    terminator = text[105]
    clean = terminator.join(seg.lstrip() for seg in text.split(terminator))
    started = time.perf_counter()
    valid = pyx12.x12n_document.x12n_document(
        param, io.StringIO(clean), None, None, fd_json=io.StringIO()
    )
    return time.perf_counter() - started, bool(valid)


def main() -> None:
    from bench.scale import synthetic_835

    readable = synthetic_835(CLAIMS)
    terminator = readable[105]
    compact = readable.replace(terminator + "\n", terminator)
    ours_s = _compare("line_breaks", readable)
    _compare("compact", compact)
    pyx12_s, valid = _pyx12_seconds(readable)
    _emit(
        bench="x12_835_parse",
        reader="pyx12",
        layout="line_breaks",
        claims=CLAIMS,
        segments=readable.count(terminator),
        bytes=len(readable),
        seconds=round(pyx12_s, 2),
        claims_per_s=round(CLAIMS / pyx12_s),
        valid=valid,
    )
    _emit(
        bench="x12_835_parse",
        compare="ours_vs_pyx12",
        layout="line_breaks",
        ours_faster_by=round(pyx12_s / ours_s, 1),
    )
