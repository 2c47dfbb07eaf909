"""835 parse rate on one 10,000-claim file, three ways in the same run on the same text:

(a) our streaming reader (`iter_remittances`: typed dataclasses, Decimal amounts, structure
    checks), (b) a bare split of the file into segments and elements (the floor any reader pays),
(c) pyx12 validating the file (the public validator, for scale).

Prints one JSON object per measure and one comparing (a) with (b); target: our reader at least
50 % of the bare split's rate. (a) and (b) are best of three; pyx12 runs once (it is slow).
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
from collections.abc import Callable

CLAIMS = 10_000
TARGET_RATIO = 0.5


def _best_of(runs: int, fn: Callable[[], int]) -> tuple[float, int]:
    best = float("inf")
    result = 0
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def _emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bureau.settings")
    from bureau.x12.reader835 import iter_remittances

    from bench.scale import synthetic_835

    text = synthetic_835(CLAIMS)
    size = len(text)
    terminator, separator = text[105], text[3]

    def ours() -> int:
        return sum(len(r.claims) for r in iter_remittances(text))

    def bare_split() -> int:
        rows = [seg.split(separator) for seg in text.split(terminator)]
        return sum(1 for row in rows if row[0].strip() == "CLP")

    ours_s, ours_claims = _best_of(3, ours)
    split_s, split_claims = _best_of(3, bare_split)
    assert ours_claims == split_claims == CLAIMS, (ours_claims, split_claims)
    segments = text.count(terminator)
    for name, seconds in (("ours", ours_s), ("bare_split", split_s)):
        _emit(
            bench="x12_835_parse",
            reader=name,
            claims=CLAIMS,
            segments=segments,
            bytes=size,
            seconds=round(seconds, 4),
            claims_per_s=round(CLAIMS / seconds),
        )

    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    param = pyx12.params.ParamsBase()
    param.set("charset", "E")
    clean = terminator.join(seg.lstrip() for seg in text.split(terminator))
    started = time.perf_counter()
    valid = pyx12.x12n_document.x12n_document(
        param, io.StringIO(clean), None, None, fd_json=io.StringIO()
    )
    pyx12_s = time.perf_counter() - started
    _emit(
        bench="x12_835_parse",
        reader="pyx12",
        claims=CLAIMS,
        segments=segments,
        bytes=size,
        seconds=round(pyx12_s, 2),
        claims_per_s=round(CLAIMS / pyx12_s),
        valid=bool(valid),
    )
    ratio = split_s / ours_s
    _emit(
        bench="x12_835_parse",
        compare="ours_vs_bare_split",
        ratio=round(ratio, 3),
        target_ratio=TARGET_RATIO,
        meets_target=ratio >= TARGET_RATIO,
        ours_vs_pyx12=round(pyx12_s / ours_s, 1),
    )
