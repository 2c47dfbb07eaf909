"""The demo billing company: synthetic practices, patients and one user per pattern of DESIGN §1.

Deterministic (seeded random), synthetic only (no real PHI), idempotent: running it again on a
seeded database creates nothing and prints the same logins.
"""

from __future__ import annotations

import functools
import random
from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from bureau.accounts.models import User
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.directory.models import (
    ContractRate,
    Enrollment,
    EnrollmentStatus,
    FeeSchedule,
    FeeScheduleLine,
    Payer,
    PayerKind,
    Provider,
)
from bureau.directory.npi import make_npi
from bureau.patients.models import Patient
from bureau.tenancy import rls
from bureau.tenancy.models import Grant, Practice, Workspace
from bureau.tenancy.roles import Role

DEMO_PASSWORD = "Summit-demo-2026!"
WORKSPACE_SLUG = "summit"
OTHER_WORKSPACE_SLUG = "harbor"

PRACTICES = [
    ("Lakeside Family Medicine", "LFM", "Family medicine", "America/Chicago"),
    ("Northgate Orthopedics", "NGO", "Orthopedic surgery", "America/New_York"),
    ("Bayview Pediatrics", "BVP", "Pediatrics", "America/Los_Angeles"),
    ("Cedar Ridge Cardiology", "CRC", "Cardiology", "America/Denver"),
    ("Riverbend Dermatology", "RBD", "Dermatology", "America/Chicago"),
    ("Summit Physical Therapy", "SPT", "Physical therapy", "America/Denver"),
    ("Harborview Behavioral Health", "HBH", "Behavioral health", "America/New_York"),
    ("Pinecrest Women's Health", "PWH", "Obstetrics & gynecology", "America/Phoenix"),
]

FIRST = (
    "Avery Blake Casey Dana Elliot Frankie Gray Harper Indigo Jordan Kendall Logan Morgan Noel "
    "Oakley Parker Quinn Reese Sawyer Taylor Umber Val Winter Xen Yael Zion Ada Bram Cleo Dax "
    "Edda Finn Greta Hugo Iris Jonah Kira Leif Mira Nash Opal Pax Rhea Silas Tova Uriel Vera Wade"
).split()
LAST = (
    "Abernathy Birchwood Calloway Dunmore Eastbrook Fairweather Galloway Hartwell Ivesdale "
    "Jolliffe Kingsley Lockridge Merriweather Northcott Oakhurst Pemberton Quayle Ravenscroft "
    "Stirling Thistlewood Underhill Vandermeer Whitlock Yardley Zellweger Ashgrove Bellamy "
    "Crestwood Driscoll Ellsworth Fenwick Greywood Holloway Inglewood Jessup Kilbride Larkspur"
).split()
STREETS = "Maple Oak Cedar Elm Willow Birch Aspen Spruce Juniper Laurel Hawthorn Alder".split()
CITIES = [
    ("Springfield", "IL", "627"),
    ("Fairview", "TN", "370"),
    ("Riverton", "WY", "825"),
    ("Greenville", "SC", "296"),
    ("Franklin", "OH", "450"),
    ("Clinton", "IA", "527"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    pattern: str


@dataclass(frozen=True)
class Login:
    username: str
    pattern: str
    password: str
    totp_secret: str


def _grant(
    user: User, workspace: Workspace, role: Role, practice: Practice | None = None, **extra: object
) -> Grant:
    return Grant.objects.create(
        workspace=workspace,
        user=user,
        practice=practice,
        role=role.value,
        reason="demo seed",
        **extra,
    )


@functools.cache
def _demo_password_hash() -> str:
    # Argon2 is slow on purpose; every demo user shares one password, so hash it once.
    return make_password(DEMO_PASSWORD)


def _user(workspace: Workspace, spec: DemoUser, rng: random.Random) -> User:
    user = User(
        username=spec.username,
        full_name=spec.full_name,
        title=spec.pattern,
        workspace=workspace,
        email=f"{spec.username}@example.test",
    )
    user.password = _demo_password_hash()
    user.save()
    TOTPDevice.objects.create(
        user=user, name="Authenticator", confirmed=True, key=rng.randbytes(20).hex()
    )
    return user


def _practices(
    workspace: Workspace, specs: list[tuple[str, str, str, str]], rng: random.Random
) -> list[Practice]:
    practices = []
    for name, code, specialty, tz in specs:
        practice = Practice.objects.create(
            workspace=workspace,
            name=name,
            code=code,
            specialty=specialty,
            timezone=tz,
            npi=make_npi("1" + f"{rng.randrange(10**8):08d}"),
            tax_id=f"{rng.randrange(10, 99)}{rng.randrange(10**7):07d}",
        )
        for _ in range(rng.randint(2, 4)):
            Provider.objects.create(
                workspace=workspace,
                practice=practice,
                name=f"Dr. {rng.choice(FIRST)} {rng.choice(LAST)}",
                npi=make_npi("1" + f"{rng.randrange(10**8):08d}"),
            )
        practices.append(practice)
    return practices


def _patients(practice: Practice, count: int, rng: random.Random) -> list[Patient]:
    today = timezone.localdate()
    patients = []
    for n in range(1, count + 1):
        city, state, zip3 = rng.choice(CITIES)
        oldest = 17 * 365 if practice.specialty == "Pediatrics" else 90 * 365
        born = today - timedelta(days=rng.randint(30, oldest))
        patients.append(
            Patient(
                workspace_id=practice.workspace_id,
                practice=practice,
                account_number=f"{practice.code}{n:06d}",
                first_name=rng.choice(FIRST),
                last_name=rng.choice(LAST),
                date_of_birth=max(born, date(1930, 1, 1)),
                sex=rng.choice("FFMMU"),
                address_line1=f"{rng.randint(10, 9999)} {rng.choice(STREETS)} St",
                city=city,
                state=state,
                postal_code=f"{zip3}{rng.randrange(100):02d}",
                phone=f"555-{rng.randrange(100, 999)}-{rng.randrange(10000):04d}",
            )
        )
    Patient.objects.bulk_create(patients, batch_size=500)
    return patients


DEMO_PAYERS = [
    # name, payer id, kind, timely filing days, appeal limit days
    ("Medicare Part B (demo)", "MCRDEMO", PayerKind.MEDICARE, 365, 120),
    ("State Medicaid (demo)", "MCDDEMO", PayerKind.MEDICAID, 180, 90),
    ("Bluepeak Health (demo)", "BLUPK", PayerKind.COMMERCIAL, 180, 180),
    ("Cardinal Mutual (demo)", "CRDML", PayerKind.COMMERCIAL, 90, 180),
    ("Evergreen Assurance (demo)", "EVGRN", PayerKind.COMMERCIAL, 120, 60),
    ("Summit United Care (demo)", "SUCAR", PayerKind.COMMERCIAL, 365, 365),
]
DEMO_FEES = [
    ("99202", "", "95.00"),
    ("99203", "", "140.00"),
    ("99204", "", "210.00"),
    ("99212", "", "75.00"),
    ("99213", "", "110.00"),
    ("99214", "", "165.00"),
    ("99215", "", "225.00"),
    ("99395", "", "190.00"),
    ("99396", "", "200.00"),
    ("36415", "", "12.00"),
    ("81002", "", "9.00"),
    ("85025", "", "18.00"),
    ("93000", "", "45.00"),
    ("90471", "", "28.00"),
    ("G0439", "", "180.00"),
    ("99213", "25", "115.00"),
]


def _revalidation(n: int) -> date:
    """Medicare revalidates every five years; the second and fifth providers' dates fall
    within the work queue's 90-day window (setup gaps), the rest years out."""
    from bureau import clock

    today = clock.now().date()
    return {1: today + timedelta(days=38), 4: today + timedelta(days=74)}.get(
        n, date(2029, 1, 1) + timedelta(days=31 * n)
    )


def _seed_directory(workspace: Workspace, practices: list[Practice]) -> None:
    """Payers, enrollments (one missing, for a credentialing hold; Medicare's revalidated every
    five years, two of them due within the setup-gap window), fees and contract rates."""
    payers = [
        Payer.objects.create(
            workspace=workspace,
            name=name,
            payer_id=payer_id,
            kind=kind,
            timely_filing_days=filing,
            appeal_limit_days=appeal,
        )
        for name, payer_id, kind, filing, appeal in DEMO_PAYERS
    ]
    since = date(2024, 1, 1)
    providers = list(Provider.objects.filter(workspace=workspace).order_by("id"))
    Enrollment.objects.bulk_create(
        Enrollment(
            workspace=workspace,
            practice_id=provider.practice_id,
            provider=provider,
            payer=payer,
            status=EnrollmentStatus.ACTIVE,
            effective_date=since,
            revalidation_date=_revalidation(n) if payer.kind == PayerKind.MEDICARE else None,
        )
        for n, provider in enumerate(providers)
        for payer in payers
        # The first provider is not enrolled with the first commercial payer.
        if not (provider.pk == providers[0].pk and payer.payer_id == "BLUPK")
    )
    default = FeeSchedule.objects.create(workspace=workspace, name="Workspace default fees")
    FeeScheduleLine.objects.bulk_create(
        FeeScheduleLine(schedule=default, code=code, modifier=mod, amount=Decimal(amount))
        for code, mod, amount in DEMO_FEES
    )
    override = FeeSchedule.objects.create(
        workspace=workspace, practice=practices[0], name=f"{practices[0].name} fees"
    )
    FeeScheduleLine.objects.bulk_create(
        [
            FeeScheduleLine(schedule=override, code="99213", amount=Decimal("120.00")),
            FeeScheduleLine(schedule=override, code="99214", amount=Decimal("175.00")),
        ]
    )
    ContractRate.objects.bulk_create(
        ContractRate(
            workspace=workspace,
            practice=practices[0],
            payer=payer,
            code=code,
            allowed_amount=Decimal(amount),
        )
        for payer in payers[:3]
        for code, amount in (("99213", "92.50"), ("99214", "131.20"), ("36415", "8.75"))
    )


def _seed_summit(rng: random.Random, patients_per_practice: int, *, simulate: bool = False) -> None:
    workspace = Workspace.objects.create(name="Summit Billing Partners", slug=WORKSPACE_SLUG)
    practices = _practices(workspace, PRACTICES, rng)
    _seed_directory(workspace, practices)
    people = {
        "olivia.owner": DemoUser("olivia.owner", "Olivia Owens", "Owner (all practices)"),
        "sam.supervisor": DemoUser("sam.supervisor", "Sam Sutherland", "Supervisor (all)"),
        "alex.manager": DemoUser(
            "alex.manager", "Alex Marsh", "Account manager (full on 2, read-only on the rest)"
        ),
        "bella.biller": DemoUser("bella.biller", "Bella Byrne", "Biller (4 of 8)"),
        "priya.poster": DemoUser(
            "priya.poster", "Priya Prakash", "Offshore payment poster (2 of 8)"
        ),
        "dan.denials": DemoUser(
            "dan.denials", "Dan Delaney", "Denial specialist (all, no demographics)"
        ),
        "casey.contractor": DemoUser(
            "casey.contractor", "Casey Cole", "Contractor (3 practices, expires in 7 days)"
        ),
        "carla.compliance": DemoUser("carla.compliance", "Carla Castillo", "Compliance officer"),
        "cliff.client": DemoUser(
            "cliff.client", "Cliff Clement", "Client viewer (Lakeside Family Medicine)"
        ),
    }
    users = {name: _user(workspace, spec, rng) for name, spec in people.items()}
    _grant(users["olivia.owner"], workspace, Role.OWNER)
    _grant(users["sam.supervisor"], workspace, Role.SUPERVISOR)
    for i, practice in enumerate(practices):
        _grant(users["alex.manager"], workspace, Role.ACCOUNT_MANAGER, practice, read_only=i >= 2)
    for practice in practices[:4]:
        _grant(users["bella.biller"], workspace, Role.BILLER, practice)
    for practice in practices[4:6]:
        _grant(users["priya.poster"], workspace, Role.PAYMENT_POSTER, practice)
    _grant(users["dan.denials"], workspace, Role.DENIAL_SPECIALIST)
    expires = timezone.now() + timedelta(days=7)
    for practice in practices[1:4]:
        _grant(users["casey.contractor"], workspace, Role.BILLER, practice, expires_at=expires)
    _grant(users["carla.compliance"], workspace, Role.COMPLIANCE_OFFICER)
    _grant(users["cliff.client"], workspace, Role.CLIENT_VIEWER, practices[0])
    with rls.practice_scope(p.pk for p in practices):
        for practice in practices:
            _patients(practice, patients_per_practice, rng)
    from bureau.demo_claims import seed_claims

    seed_claims(workspace, practices, users["olivia.owner"], submit=not simulate)
    _seed_provider_limited(workspace, practices[0])
    audit_record(
        action=AuditAction.SYSTEM_SEEDED,
        workspace=workspace,
        label="system (seed)",
        detail={"practices": len(practices), "patients": patients_per_practice},
    )


LIMITED_USER = "lina.limited"


def _seed_provider_limited(workspace: Workspace, practice: Practice) -> None:
    """A biller limited to two providers of one practice (DESIGN §2: a grant's optional subset
    of providers): she sees only their patients, claims, payments and denials. Made last, with
    a random source of her own, so every other seeded row stays as it was."""
    providers = list(Provider.objects.filter(practice=practice).order_by("id")[:2])
    names = " and ".join(p.name for p in providers)
    lina = _user(
        workspace,
        DemoUser(LIMITED_USER, "Lina Lindgren", f"Biller ({practice.code}: {names} only)"),
        random.Random(LIMITED_USER),
    )
    grant = _grant(lina, workspace, Role.BILLER, practice)
    grant.providers.set(providers)


def _seed_harbor(rng: random.Random, patients_per_practice: int) -> None:
    workspace = Workspace.objects.create(name="Harbor Revenue Group", slug=OTHER_WORKSPACE_SLUG)
    practices = _practices(
        workspace,
        [
            ("Seaside Internal Medicine", "SIM", "Internal medicine", "America/New_York"),
            ("Dockside Urgent Care", "DUC", "Urgent care", "America/New_York"),
        ],
        rng,
    )
    # Harbor has no claims (and so no offices from the claims seed): its billing addresses here.
    for n, practice in enumerate(practices):
        Practice.objects.filter(pk=practice.pk).update(
            address_line1=f"{200 + n} Harbor Way",
            city="Greenville",
            state="SC",
            postal_code="29601-5566",
        )
    hank = _user(
        workspace,
        DemoUser("hank.harbor", "Hank Harlow", "Owner of a second workspace (sees none of Summit)"),
        rng,
    )
    _grant(hank, workspace, Role.OWNER)
    with rls.practice_scope(p.pk for p in practices):
        for practice in practices:
            _patients(practice, max(10, patients_per_practice // 10), rng)
    audit_record(
        action=AuditAction.SYSTEM_SEEDED,
        workspace=workspace,
        label="system (seed)",
        detail={"practices": len(practices)},
    )


def seed_demo(
    *,
    patients_per_practice: int = 300,
    seed: int = 2026,
    simulate_days: int = 0,
    say: Callable[[str], None] | None = None,
) -> bool:
    """Create the demo workspaces. Returns False (and changes nothing) when already seeded.
    `simulate_days` > 0 then runs that many days of the payer-simulator cycle for Summit
    (outside the seed's transaction: each day's files commit as they are taken in), and the
    reports the schedule would have made meanwhile (`demo_reports`)."""
    created = _seed_workspaces(patients_per_practice, seed, simulate=simulate_days > 0)
    if created and simulate_days > 0:
        from bureau.demo_claims import simulate_demo

        simulate_demo(WORKSPACE_SLUG, days=simulate_days, seed=seed, say=say)
        from bureau.demo_writeoffs import demo_writeoffs

        demo_writeoffs(WORKSPACE_SLUG, say=say)  # after the replay: denials to write off
    if created:
        from bureau.workqueues.demo import demo_queue

        for workspace in Workspace.objects.filter(slug__in=[WORKSPACE_SLUG, OTHER_WORKSPACE_SLUG]):
            report = demo_queue(workspace, seed=seed, work=simulate_days > 0)
            if say is not None:
                opened = {str(f): n for f, n in report.opened.items()}
                say(f"work queue {workspace.slug}: items opened {opened}")
        from bureau.compliance.demo import seed_compliance

        for workspace in Workspace.objects.filter(slug=WORKSPACE_SLUG):
            seed_compliance(workspace, say=say)
        _analyze()
    if created and simulate_days > 0:
        from bureau.demo_reports import demo_reports

        # Last, as the schedule would: the monthly runs of the replayed 1sts, then tonight's
        # snapshot of the home, on the finished book (after the work queue's demo work).
        demo_reports(WORKSPACE_SLUG, [OTHER_WORKSPACE_SLUG], replayed_days=simulate_days, say=say)
    return created


def _analyze() -> None:
    """Table statistics for the query planner once the seed is in. Without them SQLite picks
    an index by its shape alone: "was this claim ever rejected?" took the workspace's index
    and read every claim event of the book per claim (the book's KPIs: 60 s instead of 0.2 s
    on a demo with 180 simulated days). PostgreSQL's autovacuum would get there later."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


@transaction.atomic
def _seed_workspaces(patients_per_practice: int, seed: int, *, simulate: bool) -> bool:
    if Workspace.objects.filter(slug=WORKSPACE_SLUG).exists():
        return False
    rng = random.Random(seed)
    _seed_summit(rng, patients_per_practice, simulate=simulate)
    _seed_harbor(rng, patients_per_practice)
    return True


def demo_logins() -> list[Login]:
    users = (
        User.objects.filter(workspace__slug__in=[WORKSPACE_SLUG, OTHER_WORKSPACE_SLUG])
        .exclude(title="")
        .order_by("workspace_id", "id")
    )
    devices = {d.user_id: d for d in TOTPDevice.objects.filter(user__in=users, confirmed=True)}
    return [
        Login(
            u.username,
            u.title,
            DEMO_PASSWORD,
            b32encode(devices[u.pk].bin_key).decode() if u.pk in devices else "(none)",
        )
        for u in users
    ]
