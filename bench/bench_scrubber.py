"""Scrubber throughput: 10,000 synthetic claim snapshots (1-6 lines, about one in five with an
error) scrubbed in memory by the pure engine. Best of three; target under 5 s on 2 cores."""

from __future__ import annotations

import json
import random
import time
from datetime import date, timedelta
from decimal import Decimal

from bureau.claims.scrubber import ClaimSnapshot, EnrollmentState, LineSnapshot, ScrubContext
from bureau.claims.scrubber import scrub as run_scrub
from bureau.claims.scrubber.tables import MUE_SAMPLE, NCCI_SAMPLE, load_mue_csv, load_ncci_csv
from bureau.directory.npi import make_npi

CLAIMS = 10_000
TARGET_SECONDS = 5.0
_DX = ["E119", "I10", "Z794", "M5450", "J069", "R109", "K219", "F411", "E785", "N390"]
_BAD_DX = ["E11", "XYZ12"]
_CPT = ["99213", "99214", "99204", "97110", "97140", "83036", "36415", "81002", "93000", "J1815"]
_MODS = ["25", "59", "GP", "KX", "LT", "RT"]


def build(rng: random.Random, n: int = CLAIMS) -> list[ClaimSnapshot]:
    today = date(2026, 6, 1)
    npis = [make_npi(f"1{rng.randint(0, 99_999_999):08d}") for _ in range(50)]
    snapshots = []
    for i in range(n):
        faulty = rng.random() < 0.2
        dx = rng.sample(_DX, rng.randint(1, 4))
        if faulty and rng.random() < 0.5:
            dx[0] = rng.choice(_BAD_DX)
        dos = today - timedelta(days=rng.randint(1, 400))
        lines = tuple(
            LineSnapshot(
                number=k,
                procedure_code=rng.choice(_CPT),
                modifiers=tuple(rng.sample(_MODS, rng.randint(0, 2))),
                pointers=tuple(range(1, min(len(dx), 4) + 1)),
                units=Decimal(rng.randint(1, 3)),
                charge=Decimal("125.00"),
            )
            for k in range(1, rng.randint(1, 6) + 1)
        )
        snapshots.append(
            ClaimSnapshot(
                claim_id=i,
                number=f"B{i:08d}",
                practice_id=1,
                payer_id=rng.randint(1, 5),
                timely_filing_days=365,
                date_of_service=dos,
                today=today,
                patient_id=rng.randint(1, 3000),
                patient_dob=date(1950 + i % 60, 1 + i % 12, 1),
                patient_sex="F" if i % 2 else "M",
                member_id="" if faulty and rng.random() < 0.2 else f"M{i:09d}",
                diagnosis_codes=tuple(dx),
                billing_npi=rng.choice(npis),
                rendering_npi="1234567890" if faulty and rng.random() < 0.2 else rng.choice(npis),
                rendering_provider_id=1,
                enrollment=EnrollmentState.PENDING
                if faulty and rng.random() < 0.2
                else EnrollmentState.ACTIVE,
                lines=lines,
                payer_code="87726",
            )
        )
    return snapshots


def main() -> None:
    rng = random.Random(837)
    snapshots = build(rng)
    existing: dict = {}
    for s in snapshots:
        for key in s.duplicate_keys():
            existing.setdefault(key, set()).add(s.claim_id)
    context = ScrubContext(
        ncci=load_ncci_csv(NCCI_SAMPLE).table,
        mue=load_mue_csv(MUE_SAMPLE).table,
        existing_claims={k: frozenset(v) for k, v in existing.items()},
        custom_rules=(
            {
                "field": "place_of_service",
                "op": "eq",
                "value": "02",
                "severity": "warning",
                "message": "Telehealth: check modifier 95",
            },
        ),
    )
    best = float("inf")
    hits = 0
    for _ in range(3):
        started = time.perf_counter()
        hits = sum(len(run_scrub(s, context)) for s in snapshots)
        best = min(best, time.perf_counter() - started)
    print(
        json.dumps(
            {
                "bench": "scrubber",
                "claims": len(snapshots),
                "seconds": round(best, 3),
                "claims_per_s": round(len(snapshots) / best),
                "hits": hits,
                "target_seconds": TARGET_SECONDS,
            }
        )
    )


if __name__ == "__main__":
    main()
