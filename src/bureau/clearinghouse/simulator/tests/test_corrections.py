"""The payer simulator answers replacements (CLM05-3 = 7) and voids (8) as payers do: the
original's payment reversed (CLP02 = 22) on the same payment run as the replacement's payment,
a void answered by the reversal alone, and a correction naming no claim it holds rejected at the
front door. No database: files our 837P writer produces."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bureau.clearinghouse.simulator import adjudication as adj
from bureau.clearinghouse.simulator.port import SimulatorPort
from bureau.clearinghouse.simulator.tests.sample_claims import WORKSPACE, book
from bureau.x12.claim837 import (
    Claim,
    ClaimFrequency,
    Interchange837,
    PersonName,
    ServiceLine,
    Transaction837,
)
from bureau.x12.envelope import Envelope, Party
from bureau.x12.reader277 import read_277ca
from bureau.x12.reader835 import read_835
from bureau.x12.tests import samples
from bureau.x12.tests.oracle import pyx12_errors
from bureau.x12.writer837 import write_837p

SEED = 7
SENT = date(2026, 6, 25)
PAYER = samples.COMMERCIAL  # ACME1, commercial in the sample book


def claim(pcn: str, n: int, **kw: object) -> Claim:
    subscriber = replace(samples.JANE, member_id=f"M{n:08d}", name=PersonName(f"P{n}", "TEST"))
    lines = (
        ServiceLine("99213", Decimal("145.00"), Decimal(1), date(2026, 6, 1), (1,), ("25",)),
        ServiceLine("36415", Decimal("18.00"), Decimal(1), date(2026, 6, 1), (1,)),
    )
    return Claim(
        pcn, samples.GROUP, subscriber, PAYER, ("I10",), lines, Decimal("163.00"), "11", **kw
    )  # type: ignore[arg-type]


def file_of(claims: list[Claim], icn: int) -> str:
    envelope = Envelope(
        sender=Party("TESTBUREAU"),
        receiver=Party("SIMULATOR"),
        interchange_control_number=icn,
        group_control_number=icn,
        created_at=datetime(2026, 6, 25, 9, 0),
    )
    return write_837p(
        Interchange837(
            envelope, samples.SUBMITTER, samples.RECEIVER, (Transaction837(icn, tuple(claims)),)
        ),
        line_break=True,
    )


def icn_of(pcn: str) -> str:
    return adj.payer_claim_number(SEED, PAYER.payer_id, pcn)


def test_replacement_void_and_unknown_original(tmp_path: Path) -> None:
    port = SimulatorPort(WORKSPACE, root=tmp_path, seed=SEED, book=book())
    port.submit("originals.x12", file_of([claim("T1", 1), claim("T2", 2)], 1), as_of=SENT)
    corrections = [
        claim(
            "T1R1",
            1,
            frequency=ClaimFrequency.REPLACEMENT,
            payer_claim_control_number=icn_of("T1"),
        ),
        claim("T2V1", 2, frequency=ClaimFrequency.VOID, payer_claim_control_number=icn_of("T2")),
        claim("T3R1", 3, frequency=ClaimFrequency.REPLACEMENT, payer_claim_control_number="99999"),
    ]
    port.submit("corrections.x12", file_of(corrections, 2), as_of=SENT + timedelta(days=1))
    files = [(f.name, f.content) for f in port.poll(as_of=date(2026, 12, 31))]

    acks = {
        c.patient_control_number: c
        for name, text in files
        if "-277CA-" in name
        for ack in read_277ca(text)
        for c in ack.claims
    }
    assert not acks["T1R1"].rejected and not acks["T2V1"].rejected
    assert acks["T3R1"].rejected and "ORIGINAL CLAIM NOT FOUND" in acks["T3R1"].message

    runs: list[tuple[str, list[tuple[str, str, Decimal, str]]]] = []
    for name, text in files:
        if "-835-" in name:
            assert pyx12_errors(text) == [], name
            for remit in read_835(text).remittances:
                runs.append(
                    (
                        remit.trace_number,
                        [
                            (c.patient_control_number, c.status, c.paid, c.payer_claim_number)
                            for c in remit.claims
                        ],
                    )
                )
    every = [c for _, claims in runs for c in claims]
    by_pcn: dict[str, list[tuple[str, str, Decimal, str]]] = {}
    for c in every:
        by_pcn.setdefault(c[0], []).append(c)
    # The original: every payment it got is reversed, the last reversal beside the new claim.
    assert sum((c[2] for c in by_pcn["T1"]), Decimal(0)) == 0
    assert any(c[1] == "22" for c in by_pcn["T1"])
    (new,) = by_pcn["T1R1"]
    assert new[1] != "4" and new[3] == icn_of("T1R1")  # not denied again, its own number
    trace = next(t for t, claims in runs if new in claims)
    same_run = dict(runs)[trace]
    assert ("T1", "22") in {(c[0], c[1]) for c in same_run}
    assert same_run.index(new) > [c[0] for c in same_run].index("T1")
    # The void: the original's payment reversed (a zero reversal when nothing was paid), and
    # nothing paid on the void itself; the rejected replacement gets nothing.
    assert any(c[1] == "22" and c[3] == icn_of("T2") for c in by_pcn["T2"])
    assert sum((c[2] for c in by_pcn["T2"]), Decimal(0)) == 0
    assert "T2V1" not in by_pcn and "T3R1" not in by_pcn
