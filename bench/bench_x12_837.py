"""837P writer throughput: 10,000 synthetic claims (1-6 lines each) written in memory.

Prints one JSON line for the writer (best of three runs; target under 2 s on the 2-core
reference machine) and one for pyx12 validating a 200-claim file, for comparison: the
validator is what the tests lean on, and it is two orders of magnitude slower.
"""

from __future__ import annotations

import io
import json
import logging
import random
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bureau.x12.claim837 import (
    MAX_CLAIMS_PER_TRANSACTION,
    Address,
    BillingProvider,
    Claim,
    Interchange837,
    OtherSubscriber,
    Patient,
    Payer,
    PersonName,
    Receiver,
    Relationship,
    RenderingProvider,
    Responsibility,
    ServiceLine,
    Sex,
    Submitter,
    Subscriber,
    Transaction837,
)
from bureau.x12.codes import npi_check_digit
from bureau.x12.envelope import Envelope, Party
from bureau.x12.writer837 import write_837p

CLAIMS = 10_000
VALIDATE_CLAIMS = 200
TARGET_SECONDS = 2.0

_LAST = ["SMITH", "JOHNSON", "GARCIA", "NGUYEN", "OKAFOR", "MULLER", "ROSSI", "KOWALSKI", "ITO"]
_FIRST = ["ANA", "BEN", "CHLOE", "DEV", "EMMA", "FARID", "GRACE", "HUGO", "IRIS", "JONAS"]
_DX = ["E11.9", "I10", "Z79.4", "M54.50", "J06.9", "R10.9", "K21.9", "F41.1", "E78.5", "N39.0"]
_CPT = ["99213", "99214", "99204", "97110", "97140", "83036", "36415", "81002", "93000", "J1815"]
_MODS = ["25", "59", "GP", "KX", "LT", "RT"]


def _npi(rng: random.Random) -> str:
    first_nine = "1" + "".join(rng.choice("0123456789") for _ in range(8))
    return first_nine + str(npi_check_digit(first_nine))


def _address(rng: random.Random, zip_plus_four: bool = False) -> Address:
    zip_code = f"{rng.randint(10000, 99999)}" + (
        f"{rng.randint(0, 9999):04d}" if zip_plus_four else ""
    )
    return Address(f"{rng.randint(1, 9999)} MAIN ST", "SPRINGFIELD", "IL", zip_code)


def _person(rng: random.Random) -> PersonName:
    return PersonName(rng.choice(_LAST), rng.choice(_FIRST))


def _line(rng: random.Random, n_dx: int, dos: date, doctor: RenderingProvider) -> ServiceLine:
    pointers = tuple(rng.sample(range(1, n_dx + 1), rng.randint(1, min(4, n_dx))))
    return ServiceLine(
        procedure_code=rng.choice(_CPT),
        charge=Decimal(rng.randint(1500, 45000)) / 100,
        units=Decimal(rng.randint(1, 4)),
        service_date=dos,
        diagnosis_pointers=pointers,
        modifiers=tuple(rng.sample(_MODS, rng.randint(0, 2))),
        line_control_number=f"L{rng.randint(1, 10**9)}",
        rendering_provider=doctor if rng.random() < 0.1 else None,
    )


def synthetic_claims(count: int, seed: int = 837) -> list[Claim]:
    """Mixed claims: 8 billing providers, subscribers with 1-3 claims, 20% dependents, 15%
    secondary claims carrying the primary payer's payment."""
    rng = random.Random(seed)
    providers = [
        BillingProvider(f"PRACTICE {i}", _npi(rng), f"{rng.randint(10**8, 10**9 - 1)}",
                        _address(rng, True), "207Q00000X")
        for i in range(8)
    ]  # fmt: skip
    doctors = [RenderingProvider(_person(rng), _npi(rng), "207R00000X") for _ in range(20)]
    payers = [Payer(f"PAYER {i}", f"P{i:04d}") for i in range(6)]
    claims: list[Claim] = []
    while len(claims) < count:
        secondary = rng.random() < 0.15
        subscriber = Subscriber(
            member_id=f"M{rng.randint(10**8, 10**9)}",
            name=_person(rng),
            birth_date=date(1940, 1, 1) + timedelta(days=rng.randint(0, 25000)),
            sex=rng.choice([Sex.FEMALE, Sex.MALE]),
            address=_address(rng),
            responsibility=Responsibility.SECONDARY if secondary else Responsibility.PRIMARY,
            group_number=f"G{rng.randint(1, 999)}",
        )
        patient = None
        if rng.random() < 0.2:
            patient = Patient(_person(rng), date(2012, 5, 5), Sex.FEMALE, _address(rng),
                              Relationship.CHILD)  # fmt: skip
        others: tuple[OtherSubscriber, ...] = ()
        if secondary:
            others = (OtherSubscriber(payers[0], f"1EG{rng.randint(10**6, 10**7)}", subscriber.name,
                                      Responsibility.PRIMARY, paid_amount=Decimal("40.10"),
                                      adjudication_date=date(2025, 3, 1)),)  # fmt: skip
        provider = rng.choice(providers)
        payer = rng.choice(payers[1:])
        for _ in range(rng.randint(1, 3)):
            n_dx = rng.randint(1, 6)
            dos = date(2025, 1, 1) + timedelta(days=rng.randint(0, 89))
            doctor = rng.choice(doctors)
            lines = tuple(_line(rng, n_dx, dos, doctor) for _ in range(rng.randint(1, 6)))
            claims.append(
                Claim(
                    patient_control_number=f"BQ{len(claims):08d}",
                    billing_provider=provider,
                    subscriber=subscriber,
                    payer=payer,
                    diagnoses=tuple(rng.sample(_DX, n_dx)),
                    lines=lines,
                    total_charge=sum((ln.charge for ln in lines), Decimal(0)),
                    place_of_service="11",
                    patient=patient,
                    rendering_provider=doctor,
                    other_subscribers=others,
                )
            )
    return claims[:count]


def interchange(claims: list[Claim]) -> Interchange837:
    envelope = Envelope(
        Party("BUREAUSUB01"), Party("CLEARHOUSE01"), 1, 1, datetime(2025, 3, 5, 9, 0, tzinfo=UTC)
    )
    step = MAX_CLAIMS_PER_TRANSACTION
    transactions = tuple(
        Transaction837(n + 1, tuple(claims[i : i + step]))
        for n, i in enumerate(range(0, len(claims), step))
    )
    submitter = Submitter("BUREAU BILLING", "BUREAUSUB01", "EDI DESK", phone="5555550100")
    return Interchange837(
        envelope, submitter, Receiver("CLEARINGHOUSE", "CLEARHOUSE01"), transactions
    )


def _best_of(runs: int, ix: Interchange837) -> tuple[float, str]:
    best, text = float("inf"), ""
    for _ in range(runs):
        start = time.perf_counter()
        text = write_837p(ix)
        best = min(best, time.perf_counter() - start)
    return best, text


def _validate_seconds(text: str) -> float:
    import pyx12.params  # a dev dependency: only the comparison line needs it
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    start = time.perf_counter()
    ok = pyx12.x12n_document.x12n_document(pyx12.params.ParamsBase(), io.StringIO(text), None, None)
    seconds = time.perf_counter() - start
    if not ok:
        raise RuntimeError("pyx12 rejected the benchmark's 837P file")
    return seconds


def main() -> None:
    ix = interchange(synthetic_claims(CLAIMS))
    seconds, text = _best_of(3, ix)
    print(json.dumps({
        "bench": "x12_837p_write",
        "claims": CLAIMS,
        "seconds": round(seconds, 4),
        "claims_per_s": round(CLAIMS / seconds),
        "bytes": len(text.encode()),
        "target_seconds": TARGET_SECONDS,
    }))  # fmt: skip
    small = write_837p(interchange(synthetic_claims(VALIDATE_CLAIMS, seed=270)))
    validate = _validate_seconds(small)
    print(json.dumps({
        "bench": "x12_837p_pyx12_validate",
        "claims": VALIDATE_CLAIMS,
        "seconds": round(validate, 4),
        "claims_per_s": round(VALIDATE_CLAIMS / validate),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
