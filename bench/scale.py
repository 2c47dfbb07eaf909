"""Scale data for the benchmarks: many submitted claims, fast, and the 835s that pay them.

The demo seed goes through the real services (encounter entry, scrubbing, batching) and is far
too slow for 100,000 claims; here rows are bulk-inserted directly, shaped exactly as those
services leave them: claims SUBMITTED, one CHARGE ledger entry per line. Everything synthetic.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

BATCH = 5000
CENT = Decimal("0.01")
CODES = (
    ("99213", Decimal("110.00")),
    ("99214", Decimal("165.00")),
    ("36415", Decimal("12.00")),
    ("85025", Decimal("28.00")),
    ("80053", Decimal("45.00")),
    ("93000", Decimal("60.00")),
)


@dataclass(frozen=True)
class ScaleWorld:
    workspace_id: int
    practice_ids: list[int]
    practice_npis: dict[int, str]
    payer_id: str
    payer_name: str
    claim_count: int
    line_count: int


def seed_submitted_claims(n_claims: int, *, practices: int = 4, seed: int = 7) -> ScaleWorld:
    """`n_claims` SUBMITTED claims with 1-3 lines and their charge entries, in a new workspace."""
    from bureau.accounts.models import User
    from bureau.claims.models import ChargeLine, Claim, ClaimLine, ClaimState, Encounter
    from bureau.configuration.models import SettingValue
    from bureau.directory.models import Payer, Provider
    from bureau.directory.npi import make_npi
    from bureau.ledger.models import EntryKind, LedgerEntry
    from bureau.patients.models import Coverage, Patient
    from bureau.tenancy import rls
    from bureau.tenancy.models import Practice, Workspace

    rng = random.Random(seed)
    workspace = Workspace.objects.create(name="Bench Billing", slug=f"bench-{seed}-{n_claims}")
    user = User.objects.create(username=f"bench{workspace.pk}", workspace=workspace)
    # The billing company posts automatically, denials included (the layered default is off).
    for key in ("era.autopost_enabled", "era.autopost_denials"):
        SettingValue.objects.create(workspace=workspace, practice=None, key=key, value=True)
    payer = Payer.objects.create(
        workspace=workspace, name="Bench Health Plan", payer_id="BENCH1", route="folder"
    )
    prs: list[Practice] = []
    for i in range(practices):
        prs.append(
            Practice.objects.create(
                workspace=workspace,
                name=f"Bench Practice {i}",
                code=f"B{i}",
                npi=make_npi(f"19{workspace.pk:04d}{i:03d}"[:9]),
                tax_id=f"99{i:07d}",
                address_line1=f"{100 + i} Bench Way",
                city="Springfield",
                state="IL",
                postal_code="62701-1234",
            )
        )
    ids = [p.pk for p in prs]
    doctors = {
        p.pk: Provider.objects.create(
            workspace=workspace, practice=p, name="Dr. Bench", npi=make_npi(f"18{p.pk:07d}")
        )
        for p in prs
    }
    today = timezone.localdate()
    now = timezone.now()
    line_total = 0
    with transaction.atomic(), rls.practice_scope(ids):
        per_practice = -(-n_claims // practices)
        patients: list[Patient] = []
        for p in prs:
            for k in range(max(1, per_practice // 20)):
                patients.append(
                    Patient(
                        workspace=workspace,
                        practice=p,
                        account_number=f"A{k:07d}",
                        first_name="Pat",
                        last_name=f"Bench{k}",
                        date_of_birth=date(1960, 1, 1) + timedelta(days=k % 15000),
                    )
                )
        Patient.objects.bulk_create(patients, batch_size=BATCH)
        by_practice: dict[int, list[Patient]] = {}
        for pt in Patient.objects.for_system(ids, reason="bench").order_by("id"):
            by_practice.setdefault(pt.practice_id, []).append(pt)
        coverages = [
            Coverage(
                workspace=workspace,
                practice_id=pt.practice_id,
                patient=pt,
                payer=payer,
                member_id=f"MB{pt.pk:09d}",
                cob_order=1,
                effective_date=date(2020, 1, 1),
            )
            for pts in by_practice.values()
            for pt in pts
        ]
        Coverage.objects.bulk_create(coverages, batch_size=BATCH)
        coverage_of = {c.patient_id: c for c in Coverage.objects.for_system(ids, reason="bench")}
        made = 0
        for chunk_start in range(0, n_claims, BATCH):
            count = min(BATCH, n_claims - chunk_start)
            encounters: list[Encounter] = []
            plan: list[tuple[Practice, Patient, date, list[tuple[str, Decimal]]]] = []
            for j in range(count):
                practice = prs[(chunk_start + j) % practices]
                pt = rng.choice(by_practice[practice.pk])
                dos = today - timedelta(days=rng.randint(5, 60))
                lines = rng.sample(CODES, rng.randint(1, 3))
                plan.append((practice, pt, dos, lines))
                encounters.append(
                    Encounter(
                        workspace=workspace,
                        practice=practice,
                        patient=pt,
                        rendering_provider=doctors[practice.pk],
                        billing_provider=doctors[practice.pk],
                        date_of_service=dos,
                        diagnosis_codes=["I10"],
                        created_by=user,
                    )
                )
            Encounter.objects.bulk_create(encounters, batch_size=BATCH)
            claims: list[Claim] = []
            for (practice, pt, dos, lines), enc in zip(plan, encounters, strict=True):
                made += 1
                claims.append(
                    Claim(
                        workspace=workspace,
                        practice=practice,
                        encounter=enc,
                        date_of_service=dos,  # bulk_create skips Claim.save, which copies it
                        patient=pt,
                        coverage=coverage_of[pt.pk],
                        payer=payer,
                        number=f"{practice.code}X{made:08d}",
                        state=ClaimState.SUBMITTED,
                        total_charge=sum((c for _, c in lines), Decimal(0)),
                        created_at=now,
                        updated_at=now,
                    )
                )
            Claim.objects.bulk_create(claims, batch_size=BATCH)
            charges: list[ChargeLine] = []
            for (practice, _pt, dos, lines), enc in zip(plan, encounters, strict=True):
                for n, (code, amount) in enumerate(lines, 1):
                    charges.append(
                        ChargeLine(
                            workspace=workspace,
                            practice=practice,
                            encounter=enc,
                            line_number=n,
                            procedure_code=code,
                            diagnosis_pointers=[1],
                            charge=amount,
                            date_of_service=dos,
                        )
                    )
            ChargeLine.objects.bulk_create(charges, batch_size=BATCH)
            claim_lines: list[ClaimLine] = []
            it = iter(charges)
            for (practice, _pt, dos, lines), claim in zip(plan, claims, strict=True):
                for n, (code, amount) in enumerate(lines, 1):
                    claim_lines.append(
                        ClaimLine(
                            workspace=workspace,
                            practice=practice,
                            claim=claim,
                            charge_line=next(it),
                            line_number=n,
                            procedure_code=code,
                            diagnosis_pointers=[1],
                            charge=amount,
                            date_of_service=dos,
                        )
                    )
            ClaimLine.objects.bulk_create(claim_lines, batch_size=BATCH)
            LedgerEntry.objects.bulk_create(
                [
                    LedgerEntry(
                        workspace=workspace,
                        practice_id=cl.practice_id,
                        claim=cl.claim,
                        claim_line=cl,
                        sequence=1,
                        kind=EntryKind.CHARGE,
                        amount=cl.charge,
                        balance_after=cl.charge,
                        effective_date=today,
                        posted_at=now,
                    )
                    for cl in claim_lines
                ],
                batch_size=BATCH,
            )
            line_total += len(claim_lines)
    return ScaleWorld(
        workspace_id=workspace.pk,
        practice_ids=ids,
        practice_npis={p.pk: p.npi for p in prs},
        payer_id=payer.payer_id,
        payer_name=payer.name,
        claim_count=n_claims,
        line_count=line_total,
    )


def claim_payment(
    rng: random.Random, number: str, key: int, lines: list[tuple[int, str, Decimal, date]]
) -> object:
    """One balanced CLP loop for a claim with `lines` (line number, code, charge, date):
    ~80 % paid with CO-45 and PR-2, ~10 % partial (first line denied CO-97), ~10 % denied
    (CLP02 = 4, CO-50)."""
    from bureau.x12.remit835 import Adjustment, ClaimPayment, ServicePayment

    roll = rng.random()
    status = "4" if roll < 0.10 else "1"
    services: list[ServicePayment] = []
    for i, (n, code, charge, dos) in enumerate(lines):
        if status == "4":
            adjs: tuple[Adjustment, ...] = (Adjustment("CO", "50", charge),)
            paid = Decimal("0.00")
        elif roll < 0.20 and i == 0:
            adjs = (Adjustment("CO", "97", charge),)
            paid = Decimal("0.00")
        else:
            allowed = (charge * Decimal("0.80")).quantize(CENT)
            pr = (allowed * Decimal("0.20")).quantize(CENT)
            paid = allowed - pr
            adjs = (Adjustment("CO", "45", charge - allowed), Adjustment("PR", "2", pr))
        services.append(
            ServicePayment(
                procedure_code=code,
                charge=charge,
                paid=paid,
                service_date=dos,
                line_control_number=f"{number}-{n}",
                adjustments=adjs,
            )
        )
    pr_total = sum(
        (a.amount for s in services for a in s.adjustments if a.group == "PR"), Decimal(0)
    )
    return ClaimPayment(
        patient_control_number=number,
        status=status,
        charge=sum((s.charge for s in services), Decimal(0)),
        paid=sum((s.paid for s in services), Decimal(0)),
        patient_responsibility=pr_total,
        filing_indicator="12",
        payer_claim_number=f"PCN{key:010d}",
        facility_type="11",
        frequency="1",
        patient_last_name="BENCH",
        patient_first_name="PAT",
        member_id=f"MB{key:09d}",
        services=tuple(services),
    )


def remittance(
    payments: list,
    trace: int,
    *,
    payer_id: str,
    payer_name: str,  # type: ignore[type-arg]
    payee_npi: str,
) -> object:
    from bureau.x12.claim837 import Address
    from bureau.x12.remit835 import Remittance

    return Remittance(
        control_number=str(trace),
        handling_code="I",
        payment_amount=sum((p.paid for p in payments), Decimal(0)),
        credit_debit="C",
        payment_method="ACH",
        payment_date=date(2026, 11, 20),
        trace_number=f"BENCHEFT{trace:08d}",
        originator_id="1999999999",
        payer_name=payer_name,
        payer_id=payer_id,
        payee_name="BENCH PRACTICE",
        payee_npi=payee_npi,
        payer_address=Address("PO BOX 1000", "SPRINGFIELD", "IL", "627010000"),
        payer_contact_phone="8005550100",
        claims=tuple(payments),
    )


def synthetic_835(n_claims: int, *, seed: int = 5) -> str:
    """A 10,000-claim-style 835 with no database: one payment, `n_claims` claims."""
    from bureau.x12.writer835 import write_835

    rng = random.Random(seed)
    payments = []
    for k in range(n_claims):
        picked = rng.sample(CODES, rng.randint(1, 3))
        lines = [
            (n, code, amount, date(2026, 10, 1) + timedelta(days=k % 40))
            for n, (code, amount) in enumerate(picked, 1)
        ]
        payments.append(claim_payment(rng, f"SYN{k:08d}", k, lines))
    rem = remittance(
        payments, 1, payer_id="BENCH1", payer_name="BENCH HEALTH PLAN", payee_npi="1234567893"
    )
    return write_835(envelope(1), [rem], line_break=True)  # type: ignore[arg-type,list-item]


def remittances_for(world: ScaleWorld, claims_per_era: int, *, seed: int = 11) -> Iterator[object]:
    """One balanced `Remittance` per `claims_per_era` claims of one practice, paying every
    claim of `world` (see `claim_payment` for the mix)."""
    from bureau.claims.models import Claim, ClaimLine
    from bureau.tenancy import rls

    rng = random.Random(seed)
    trace = 0
    for practice_id in world.practice_ids:
        with transaction.atomic(), rls.practice_scope([practice_id]):
            claims = list(
                Claim.objects.for_system([practice_id], reason="bench")
                .filter(workspace_id=world.workspace_id, practice_id=practice_id)
                .order_by("number")
                .values_list("id", "number")
            )
            lines: dict[int, list[tuple[int, str, Decimal, date]]] = {}
            for cid, n, code, charge, dos in (
                ClaimLine.objects.for_system([practice_id], reason="bench")
                .filter(claim__practice_id=practice_id, claim__workspace_id=world.workspace_id)
                .order_by("claim_id", "line_number")
                .values_list(
                    "claim_id", "line_number", "procedure_code", "charge", "date_of_service"
                )
            ):
                lines.setdefault(cid, []).append((n, code, charge, dos))
        for start in range(0, len(claims), claims_per_era):
            payments = [
                claim_payment(rng, number, cid, lines[cid])
                for cid, number in claims[start : start + claims_per_era]
            ]
            trace += 1
            yield remittance(
                payments,
                trace,
                payer_id=world.payer_id,
                payer_name=world.payer_name,
                payee_npi=world.practice_npis[practice_id],
            )


def envelope(control_number: int) -> object:
    from bureau.x12.envelope import Envelope, Party

    return Envelope(
        sender=Party("BENCH1"),
        receiver=Party("BUREAU"),
        interchange_control_number=control_number,
        group_control_number=control_number,
        created_at=datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
    )
