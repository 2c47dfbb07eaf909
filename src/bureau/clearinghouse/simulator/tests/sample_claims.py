"""Varied synthetic 837P files for the simulator's tests (no real person, provider or payer)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from bureau.clearinghouse.simulator.port import PayerBook
from bureau.x12.claim837 import (
    Claim,
    Interchange837,
    OtherSubscriber,
    Payer,
    PersonName,
    Responsibility,
    ServiceLine,
    Transaction837,
)
from bureau.x12.envelope import Envelope, Party
from bureau.x12.tests import samples
from bureau.x12.writer837 import write_837p

WORKSPACE = SimpleNamespace(slug="testbureau")
PAYERS = {
    "MCR01": ("medicare", Payer("FEDERAL SENIOR PLAN", "MCR01")),
    "ACME1": ("commercial", Payer("ACME HEALTH PLAN", "ACME1")),
    "BLM22": ("commercial", Payer("BLUE LAKE MUTUAL", "BLM22")),
    "MCD07": ("medicaid", Payer("STATE MEDICAID", "MCD07")),
}
CODES = (
    ("99213", Decimal("145.00"), Decimal("92.50")),
    ("99214", Decimal("210.00"), Decimal("131.00")),
    ("93000", Decimal("60.00"), Decimal("17.25")),
    ("36415", Decimal("18.00"), None),  # no contract: the profile's share of charge
    ("J1815", Decimal("9.50"), Decimal("1.10")),
)


def book() -> PayerBook:
    rates = {
        (samples.GROUP_NPI, payer_id, code, ""): rate
        for payer_id in PAYERS
        for code, _, rate in CODES
        if rate is not None
    }
    return PayerBook(
        kinds={pid: kind for pid, (kind, _) in PAYERS.items()},
        names={pid: payer.name for pid, (_, payer) in PAYERS.items()},
        rates=rates,
    )


def claims_file(count: int, *, seed: int = 1, icn: int = 1, first_number: int = 1) -> str:
    """`count` claims of one billing provider across four payers: one to four lines, some
    with units, some secondary after a primary paid, every 25th with a bad member id."""
    rng = random.Random(seed)
    payer_ids = sorted(PAYERS)
    claims: list[Claim] = []
    for n in range(first_number, first_number + count):
        payer_id = payer_ids[n % len(payer_ids)]
        member = f"M{n:08d}" if n % 25 else "BAD"
        subscriber = replace(
            samples.JANE, member_id=member, name=PersonName(f"PATIENT{n % 97}", "TEST")
        )
        dos = date(2026, 6, 1) + timedelta(days=n % 20)
        lines = []
        for k in range(1, rng.randint(1, 4) + 1):
            code, charge, _ = CODES[rng.randrange(len(CODES))]
            units = Decimal(rng.choice((1, 1, 1, 2, 10))) if code == "J1815" else Decimal(1)
            lines.append(
                ServiceLine(code, charge * units, units, dos, (1,), line_control_number=f"C{n}-{k}")
            )
        others: tuple[OtherSubscriber, ...] = ()
        if n % 9 == 0:
            subscriber = replace(subscriber, responsibility=Responsibility.SECONDARY)
            others = (
                OtherSubscriber(
                    payer=PAYERS["MCR01"][1],
                    member_id=f"P{n:08d}",
                    name=subscriber.name,
                    responsibility=Responsibility.PRIMARY,
                    claim_filing_indicator="MB",
                    paid_amount=Decimal("20.00"),
                ),
            )
        claims.append(
            Claim(
                f"T{n:06d}",
                samples.GROUP,
                subscriber,
                PAYERS[payer_id][1],
                ("I10",),
                tuple(lines),
                sum((ln.charge for ln in lines), Decimal(0)),
                "11",
                other_subscribers=others,
            )
        )
    envelope = Envelope(
        sender=Party("TESTBUREAU"),
        receiver=Party("SIMULATOR"),
        interchange_control_number=icn,
        group_control_number=icn,
        created_at=datetime(2026, 6, 25, 9, 0),
    )
    interchange = Interchange837(
        envelope, samples.SUBMITTER, samples.RECEIVER, (Transaction837(icn, tuple(claims)),)
    )
    return write_837p(interchange, line_break=True)
