"""What posting one ERA reports: its outcome, and the per-claim ticker that drives progress
(and, in the crash test only, pauses mid-file)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal("0.00")
FAULT_AFTER = "BUREAU_FAULT_SLEEP_AFTER_CLAIMS"  # test-only: sleep after N claims (crash test)
FAULT_SECONDS = "BUREAU_FAULT_SLEEP_SECONDS"
Progress = Callable[[int, int, str], None]


@dataclass
class EraOutcome:
    """What one ERA did — the command prints it, the job stores it, the audit event repeats it."""

    trace_number: str
    payment_amount: Decimal
    payer_name: str
    duplicate: bool = False
    era_id: int | None = None
    practice_code: str = ""
    status: str = ""
    claims: int = 0
    posted: int = 0
    exceptions: int = 0
    denials: int = 0
    underpayments: int = 0
    paid: Decimal = ZERO


@dataclass
class Ticker:
    """Counts claims across a file: progress every `every` claims, and the crash test's pause."""

    total: int
    progress: Progress | None = None
    every: int = 500
    done: int = 0
    fault_after: int | None = field(
        default_factory=lambda: (
            int(os.environ[FAULT_AFTER]) if os.environ.get(FAULT_AFTER) else None
        )
    )

    def tick(self, stage: str) -> None:
        self.done += 1
        if self.progress is not None and (self.done % self.every == 0 or self.done == self.total):
            self.progress(self.done, self.total, stage)
        if self.fault_after is not None and self.done == self.fault_after:
            sys.stderr.write(f"fault injection: sleeping after {self.done} claims\n")
            sys.stderr.flush()
            time.sleep(float(os.environ.get(FAULT_SECONDS, "3600")))
