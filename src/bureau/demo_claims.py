"""Demo coverages, encounters and claims (synthetic, deterministic, bulk-created).

Every patient gets a primary coverage with a demo payer, about one in ten a secondary one.
About 1.25 encounters per patient over the last 90 days; claims older than two weeks are built
into 837P batches (submitted), recent ones are left as drafts or ready for the demo to submit.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from bureau.accounts.models import User
from bureau.claims.batches import batch_build
from bureau.claims.models import ChargeLine, Claim, ClaimFrequency, ClaimLine, ClaimState, Encounter
from bureau.claims.scrubbing import claims_scrub
from bureau.claims.services import claim_number
from bureau.directory.models import Payer, Provider, ServiceFacility
from bureau.directory.npi import make_npi
from bureau.patients.models import Coverage, Patient
from bureau.tenancy import rls
from bureau.tenancy.models import Practice, Workspace

DIAGNOSES = "E119 I10 J069 M5450 Z0000 R051 E785 K219 F419 N390 J209 L700 M1711 I480".split()
VISITS = [  # (code, charge) from the demo fee schedule
    ("99212", "75.00"),
    ("99213", "110.00"),
    ("99214", "165.00"),
    ("99215", "225.00"),
    ("99203", "140.00"),
    ("99204", "210.00"),
]
EXTRAS = [("36415", "12.00"), ("85025", "18.00"), ("93000", "45.00"), ("81002", "9.00")]
REASON = "demo seed"
# Claims of the last two weeks have not gone out yet.
RECENT_DAYS = 14
ZIPS = {"IL": "627011234", "TN": "370641122", "WY": "825013344", "SC": "296015566"}


def _offices(workspace: Workspace, practices: list[Practice], rng: random.Random) -> None:
    states = list(ZIPS)
    for practice in practices:
        if ServiceFacility.objects.filter(practice=practice).exists():
            continue
        state = states[practice.pk % len(states)]
        office = ServiceFacility.objects.create(
            workspace=workspace,
            practice=practice,
            name=f"{practice.name} main office",
            npi=make_npi("1" + f"{rng.randrange(10**8):08d}"),
            address_line1=f"{rng.randint(100, 999)} Commerce Dr",
            city="Springfield" if state == "IL" else "Franklin",
            state=state,
            postal_code=ZIPS[state],
        )
        # The main office is also the billing address (837P 2010AA), so the encounters seen
        # there need no service-facility loop.
        Practice.objects.filter(pk=practice.pk, address_line1="").update(
            address_line1=office.address_line1,
            city=office.city,
            state=office.state,
            postal_code=f"{office.postal_code[:5]}-{office.postal_code[5:]}",
        )


def seed_claims(
    workspace: Workspace,
    practices: list[Practice],
    user: User,
    *,
    seed: int = 2026,
    submit: bool = True,
) -> None:
    """`submit=False` (the simulated demo): old claims are scrubbed and left READY for
    `bureau simulate` to batch day by day, and the recent ones stay parked until
    `unpark_recent` runs after the simulation."""
    rng = random.Random(seed)
    _offices(workspace, practices, rng)
    payers = list(Payer.objects.filter(workspace=workspace).order_by("id"))
    today = timezone.localdate()
    to_submit: list[int] = []
    with rls.practice_scope(p.pk for p in practices):
        for practice in practices:
            if _seed_practice(practice, payers, user, rng, today):
                to_submit.append(practice.pk)
    ids = [p.pk for p in practices]
    # Through the real scrubber, so rule hits and credentialing holds (the provider without a
    # Bluepeak enrollment) show up as a biller would meet them.
    with rls.practice_scope(ids):
        old = Claim.objects.for_system(ids, reason=REASON).filter(
            state=ClaimState.DRAFT,
            responsibility=1,
            encounter__date_of_service__lt=today - timedelta(days=RECENT_DAYS),
        )
        claims_scrub(actor=None, claims=list(old))
    if not submit:
        return
    if to_submit:
        batch_build(actor=None, practice_ids=to_submit)
    unpark_recent(practices)


def unpark_recent(practices: list[Practice]) -> None:
    ids = [p.pk for p in practices]
    with rls.practice_scope(ids):
        # Recent claims arrive after the batch run: half are scrubbed and wait for the user.
        # Closed by a replacement or void (`demo_corrections`) is not parked: it stays closed.
        parked = Claim.objects.for_system(ids, reason=REASON).filter(
            state=ClaimState.CLOSED, frequency=ClaimFrequency.ORIGINAL, corrections__isnull=True
        )
        parked_ids = list(parked.values_list("id", flat=True))
        parked.update(state=ClaimState.DRAFT)
        recent = Claim.objects.for_system(ids, reason=REASON).filter(pk__in=parked_ids)
        claims_scrub(actor=None, claims=list(recent))


def _seed_practice(
    practice: Practice, payers: list[Payer], user: User, rng: random.Random, today: date
) -> bool:
    patients = list(
        Patient.objects.for_system([practice.pk], reason=REASON)
        .filter(practice=practice)
        .order_by("id")
    )
    providers = list(Provider.objects.filter(practice=practice).order_by("id"))
    if not patients or not providers or not payers:
        return False
    ws = practice.workspace_id
    coverages: list[Coverage] = []
    primary: dict[int, Coverage] = {}
    secondary: dict[int, Coverage] = {}
    for patient in patients:
        payer = rng.choice(payers)
        cov = Coverage(
            workspace_id=ws,
            practice=practice,
            patient=patient,
            payer=payer,
            member_id=f"{payer.payer_id[:3]}{rng.randrange(10**9):09d}",
            group_number=f"G{rng.randrange(10**5):05d}",
            cob_order=1,
            effective_date=date(2024, 1, 1),
        )
        coverages.append(cov)
        primary[patient.pk] = cov
        if rng.random() < 0.1:
            other = rng.choice([p for p in payers if p.pk != payer.pk])
            cov2 = Coverage(
                workspace_id=ws,
                practice=practice,
                patient=patient,
                payer=other,
                member_id=f"{other.payer_id[:3]}{rng.randrange(10**9):09d}",
                cob_order=2,
                effective_date=date(2024, 1, 1),
            )
            coverages.append(cov2)
            secondary[patient.pk] = cov2
    Coverage.objects.bulk_create(coverages, batch_size=1000)

    count = max(1, round(len(patients) * 1.25))
    encounters: list[Encounter] = []
    for _ in range(count):
        doctor = rng.choice(providers)
        dx = rng.sample(DIAGNOSES, rng.randint(1, 3))
        encounters.append(
            Encounter(
                workspace_id=ws,
                practice=practice,
                patient=rng.choice(patients),
                rendering_provider=doctor,
                billing_provider=doctor,
                date_of_service=today - timedelta(days=rng.randint(1, 90)),
                diagnosis_codes=dx,
                created_by=user,
            )
        )
    encounters.sort(key=lambda e: e.date_of_service)
    Encounter.objects.bulk_create(encounters, batch_size=1000)

    charges: list[ChargeLine] = []
    claims: list[Claim] = []
    claim_lines: list[tuple[Claim, list[ChargeLine]]] = []
    cutoff = today - timedelta(days=RECENT_DAYS)
    any_old = False
    for n, encounter in enumerate(encounters, 1):
        dx_count = len(encounter.diagnosis_codes)
        picked = [rng.choice(VISITS)]
        if rng.random() < 0.35:
            picked.append(rng.choice(EXTRAS))
        lines = [
            ChargeLine(
                workspace_id=ws,
                practice=practice,
                encounter=encounter,
                line_number=i,
                procedure_code=code,
                diagnosis_pointers=list(range(1, min(dx_count, 4) + 1)),
                charge=Decimal(amount),
                date_of_service=encounter.date_of_service,
            )
            for i, (code, amount) in enumerate(picked, 1)
        ]
        charges += lines
        total = sum((line.charge for line in lines), Decimal(0))
        old = encounter.date_of_service < cutoff
        # Old claims are ready now and go out in the batch run; recent ones are parked as
        # CLOSED (a state nothing picks) and turned READY after the run, or left as drafts.
        if old:
            state = ClaimState.DRAFT  # scrubbed, then batched, by seed_claims
            any_old = True
        else:
            state = ClaimState.DRAFT if rng.random() < 0.5 else ClaimState.CLOSED
        covs = [primary[encounter.patient_id]]
        if encounter.patient_id in secondary and old:
            covs.append(secondary[encounter.patient_id])
        for position, cov in enumerate(covs, 1):
            claim = Claim(
                workspace_id=ws,
                practice=practice,
                encounter=encounter,
                patient_id=encounter.patient_id,
                coverage=cov,
                payer=cov.payer,
                number=claim_number(practice.code, n, position),
                responsibility=cov.cob_order,
                state=state if cov.cob_order == 1 else ClaimState.DRAFT,
                total_charge=total,
                date_of_service=encounter.date_of_service,
                created_at=timezone.now(),
            )
            claims.append(claim)
            claim_lines.append((claim, lines))
    ChargeLine.objects.bulk_create(charges, batch_size=1000)
    Claim.objects.bulk_create(claims, batch_size=1000)
    Practice.objects.filter(pk=practice.pk).update(claim_sequence=len(encounters))
    ClaimLine.objects.bulk_create(
        (
            ClaimLine(
                workspace_id=ws,
                practice=practice,
                claim=claim,
                charge_line=line,
                line_number=line.line_number,
                procedure_code=line.procedure_code,
                diagnosis_pointers=line.diagnosis_pointers,
                charge=line.charge,
                date_of_service=line.date_of_service,
            )
            for claim, lines in claim_lines
            for line in lines
        ),
        batch_size=1000,
    )
    return any_old


def simulate_demo(
    slug: str, *, days: int, seed: int = 2026, say: Callable[[str], None] | None = None
) -> None:
    """The demo's last act: turn on auto-posting (workspace on, the last practice off so
    policy holds show up), replay `days` of the payer-simulator cycle, then let the recent
    claims arrive for the user to work."""
    import shutil

    from bureau.clearinghouse.cycle import run_cycle
    from bureau.clearinghouse.simulator.port import simulator_root
    from bureau.configuration.services import setting_set
    from bureau.demo_appeals import seed_appeals
    from bureau.demo_corrections import seed_corrections
    from bureau.tenancy.actor import resolve_actor

    workspace = Workspace.objects.get(slug=slug)
    practices = list(Practice.objects.filter(workspace=workspace).order_by("code"))
    owner = User.objects.filter(workspace=workspace, username="olivia.owner").first()
    actor = resolve_actor(owner) if owner is not None else None
    if actor is not None:
        why = "demo: auto-post matched ERA payments"
        setting_set(actor=actor, practice=None, key="era.autopost_enabled", value=True, reason=why)
        setting_set(
            actor=actor, practice=practices[-1], key="era.autopost_enabled", value=False,
            reason="demo: this client reviews every ERA before posting",
        )  # fmt: skip
    # A fresh database: whatever an earlier demo left in the simulator's folders is stale.
    shutil.rmtree(simulator_root(workspace), ignore_errors=True)
    summary = run_cycle(workspace=workspace, days=days, seed=seed, say=say)
    seed_corrections(slug, replayed_days=days, seed=seed, say=say)  # issue 13
    if say is not None:
        out = summary.as_dict()
        say(
            f"simulated {out['days']} days: {out['claims_submitted']} claims "
            f"({out['claims_rejected']} rejected), "
            f"{out['eras']} ERAs paying {out['paid_amount']}, {out['denials']} denials, "
            f"exceptions {out['era_exceptions']}, {out['underpaid_lines']} underpaid lines"
        )
    seed_appeals(workspace, seed=seed, say=say)  # appeals decided by the simulated payer
    unpark_recent(practices)
