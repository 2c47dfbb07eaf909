"""The book's control data: workspace, practices, providers, payers, enrollments, facilities,
fees, contract rates, settings and the people who work it. Small tables: plain ORM writes."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.utils.text import slugify
from django_otp.plugins.otp_totp.models import TOTPDevice

from bureau.accounts.models import User
from bureau.configuration.models import SettingValue
from bureau.directory.models import (
    ContractRate,
    Enrollment,
    EnrollmentStatus,
    FeeSchedule,
    FeeScheduleLine,
    Payer,
    PayerKind,
    Provider,
    ProviderKind,
    ServiceFacility,
)
from bureau.directory.npi import make_npi
from bureau.tenancy.models import Grant, Practice, Workspace
from bureau.tenancy.roles import Role

BOOK_PASSWORD = "Book-bench-2026!"
CENT = Decimal("0.01")

SPECIALTIES = [
    # specialty, its codes (CPT/HCPCS) with weights
    ("Family medicine", ["99213", "99214", "99203", "36415", "85025", "80053", "90471", "G0439"]),
    ("Internal medicine", ["99214", "99215", "99204", "36415", "80053", "93000", "G0439"]),
    ("Pediatrics", ["99213", "99392", "99393", "90471", "90460", "36415", "81002"]),
    ("Cardiology", ["99214", "99204", "93000", "93306", "93017", "36415"]),
    ("Orthopedic surgery", ["99213", "99204", "20610", "73030", "73562", "29125"]),
    ("Dermatology", ["99213", "11102", "17000", "17110", "11900", "99203"]),
    ("Physical therapy", ["97110", "97140", "97530", "97161", "97112"]),
    ("Behavioral health", ["90834", "90837", "90791", "90832", "99214"]),
    ("Obstetrics & gynecology", ["99213", "99395", "88142", "81025", "76830", "99214"]),
    ("Urgent care", ["99203", "99213", "87880", "81002", "36415", "99214"]),
]
FEES = {
    "99203": "140.00", "99204": "210.00", "99213": "110.00", "99214": "165.00",
    "99215": "225.00", "99392": "160.00", "99393": "160.00", "99395": "190.00",
    "36415": "12.00", "85025": "28.00", "80053": "45.00", "81002": "9.00", "81025": "18.00",
    "90471": "28.00", "90460": "30.00", "G0439": "180.00", "93000": "60.00", "93306": "520.00",
    "93017": "180.00", "20610": "150.00", "73030": "85.00", "73562": "95.00", "29125": "120.00",
    "11102": "140.00", "17000": "95.00", "17110": "130.00", "11900": "80.00", "97110": "60.00",
    "97140": "55.00", "97530": "65.00", "97161": "150.00", "97112": "62.00", "90834": "140.00",
    "90837": "190.00", "90791": "220.00", "90832": "95.00", "88142": "45.00", "76830": "210.00",
    "87880": "35.00",
}  # fmt: skip
# name, payer id, kind, timely filing days, appeal limit days, allowed as a share of the fee
PAYERS = [
    ("Medicare Part B — Jurisdiction H", "MCRJH", PayerKind.MEDICARE, 365, 120, "0.52"),
    ("Medicare Part B — Jurisdiction L", "MCRJL", PayerKind.MEDICARE, 365, 120, "0.55"),
    ("Medicare Part B — Jurisdiction F", "MCRJF", PayerKind.MEDICARE, 365, 120, "0.53"),
    ("Medicare Part B — Jurisdiction J", "MCRJJ", PayerKind.MEDICARE, 365, 120, "0.54"),
    ("Medicare Part B — Jurisdiction E", "MCRJE", PayerKind.MEDICARE, 365, 120, "0.56"),
    ("Northstate Medicaid", "MCDNS", PayerKind.MEDICAID, 180, 90, "0.42"),
    ("Southland Medicaid", "MCDSL", PayerKind.MEDICAID, 365, 60, "0.40"),
    ("Lakes Region Medicaid", "MCDLR", PayerKind.MEDICAID, 180, 90, "0.45"),
    ("Plains Medicaid Managed Care", "MCDPL", PayerKind.MEDICAID, 90, 60, "0.44"),
    ("Bluepeak Health", "BLUPK", PayerKind.COMMERCIAL, 180, 180, "0.78"),
    ("Cardinal Mutual", "CRDML", PayerKind.COMMERCIAL, 90, 180, "0.72"),
    ("Evergreen Assurance", "EVGRN", PayerKind.COMMERCIAL, 120, 60, "0.70"),
    ("Summit United Care", "SUCAR", PayerKind.COMMERCIAL, 365, 365, "0.80"),
    ("Keystone Benefit Plans", "KSTBP", PayerKind.COMMERCIAL, 90, 180, "0.74"),
    ("Harborline Health", "HBRLH", PayerKind.COMMERCIAL, 180, 180, "0.76"),
    ("Prairie Shield", "PRSHD", PayerKind.COMMERCIAL, 180, 180, "0.69"),
    ("Copperstate Life & Health", "CPRST", PayerKind.COMMERCIAL, 90, 90, "0.71"),
    ("Tidewater Care Network", "TDWTR", PayerKind.COMMERCIAL, 365, 180, "0.77"),
    ("Granite Health Alliance", "GRNTH", PayerKind.COMMERCIAL, 180, 365, "0.73"),
    ("Sierra Vista Health Plan", "SVHP", PayerKind.COMMERCIAL, 90, 180, "0.75"),
    ("Riverstone Medical Group Plan", "RVSTN", PayerKind.COMMERCIAL, 180, 180, "0.70"),
    ("Beacon Employee Benefits", "BEACN", PayerKind.COMMERCIAL, 365, 180, "0.79"),
    ("Meridian Choice", "MRDCH", PayerKind.COMMERCIAL, 120, 180, "0.72"),
    ("Tri-County Workers' Comp", "TCWC", PayerKind.OTHER, 365, 365, "0.85"),
    ("Veterans Community Care (synthetic)", "VCCS", PayerKind.OTHER, 180, 90, "0.60"),
]
NAME_A = (
    "Lakeside Northgate Bayview Cedar Riverbend Summit Harborview Pinecrest Maple Oakridge Aspen "
    "Willow Granite Meadow Brookside Highland Sunset Fairview Stonebridge Elmwood Westfield"
).split()
NAME_B = "Family Community Valley Regional Metro County Coastal Hill Park Grove".split()
TIMEZONES = [
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Phoenix", "America/Anchorage", "Pacific/Honolulu", "America/Detroit",
]  # fmt: skip
FIRST = "Avery Blake Casey Dana Elliot Harper Jordan Logan Morgan Quinn Reese Taylor".split()
LAST = "Abernathy Calloway Dunmore Galloway Hartwell Kingsley Lockridge Pemberton Yardley".split()


@dataclass
class PracticeFacts:
    """What claim generation needs to know about one practice, in plain values."""

    practice: Practice
    codes: list[str]
    payers: list[Payer]
    payer_weights: list[float]
    doctors: list[Provider]
    billing: dict[int, int]  # rendering provider id -> billing provider id
    facility_id: int | None
    pending: set[tuple[int, int]] = field(default_factory=set)  # (provider, payer) on hold
    fees: dict[str, Decimal] = field(default_factory=dict)
    rates: dict[tuple[int, str], Decimal] = field(default_factory=dict)
    policy_hold: bool = False


@dataclass
class Book:
    workspace: Workspace
    practices: list[PracticeFacts]
    payers: list[Payer]
    factor: dict[int, Decimal]  # payer id -> allowed share of the fee (no contract rate)
    users: dict[str, User]


def unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "book"
    slug, n = base, 1
    while Workspace.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def make_book(rng: random.Random, n_practices: int, name: str) -> Book:
    slug = unique_slug(name)
    workspace = Workspace.objects.create(name=name, slug=slug)
    payers = [
        Payer.objects.create(
            workspace=workspace,
            name=pname,
            payer_id=pid,
            kind=kind,
            timely_filing_days=filing,
            appeal_limit_days=appeal,
        )
        for pname, pid, kind, filing, appeal, _ in PAYERS
    ]
    factor = {p.pk: Decimal(row[5]) for p, row in zip(payers, PAYERS, strict=True)}
    default_fees = FeeSchedule.objects.create(workspace=workspace, name="Book default fees")
    FeeScheduleLine.objects.bulk_create(
        FeeScheduleLine(schedule=default_fees, code=code, amount=Decimal(amount))
        for code, amount in FEES.items()
    )
    for key in ("era.autopost_enabled", "era.autopost_denials"):
        SettingValue.objects.create(workspace=workspace, key=key, value=True)
    npis = iter(rng.sample(range(10**7, 10**8), n_practices * 8))
    facts = [_practice(workspace, i, payers, rng, npis) for i in range(n_practices)]
    _enrollments(workspace, facts, rng)
    _fees_and_rates(workspace, facts, factor, rng)
    # A few clients turned auto-posting off: their recent ERAs wait for a poster's review.
    for f in facts[2 : max(3, n_practices // 16) + 2]:
        f.policy_hold = True
        SettingValue.objects.create(
            workspace=workspace, practice=f.practice, key="era.autopost_enabled", value=False
        )
    users = _people(workspace, slug, [f.practice for f in facts], rng)
    return Book(workspace, facts, payers, factor, users)


def _practice(
    workspace: Workspace, i: int, payers: list[Payer], rng: random.Random, npis: Iterator[int]
) -> PracticeFacts:
    specialty, codes = SPECIALTIES[i % len(SPECIALTIES)]
    practice = Practice.objects.create(
        workspace=workspace,
        name=f"{NAME_A[i % len(NAME_A)]} {NAME_B[(i // len(NAME_A)) % len(NAME_B)]} {specialty}",
        code=f"P{i + 1:02d}"[:8],
        specialty=specialty,
        timezone=TIMEZONES[i % len(TIMEZONES)],
        npi=make_npi(f"1{next(npis)}"),
        tax_id=f"{rng.randrange(10, 99)}{rng.randrange(10**7):07d}",
        # Its billing address (837P 2010AA); no random draw, so the book's rows stay as before.
        address_line1=f"{100 + i} Commerce Dr",
        city="Springfield",
        state="IL",
        postal_code="62701-1234",
    )
    doctors = []
    for _ in range(rng.randint(2, 6)):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        doctors.append(
            Provider.objects.create(
                workspace=workspace,
                practice=practice,
                name=f"Dr. {first} {last}",
                first_name=first,
                last_name=last,
                npi=make_npi(f"1{next(npis)}"),
                taxonomy="207Q00000X",
            )
        )
    billing = {d.pk: d.pk for d in doctors}
    if i % 3 == 0:  # a group practice bills under its organization NPI
        group = Provider.objects.create(
            workspace=workspace,
            practice=practice,
            kind=ProviderKind.ORGANIZATION,
            name=f"{practice.name} Group",
            npi=make_npi(f"2{next(npis)}"),
        )
        billing = {d.pk: group.pk for d in doctors}
    facility = None
    if i % 4 == 1:
        facility = ServiceFacility.objects.create(
            workspace=workspace,
            practice=practice,
            name=f"{practice.name} Surgery Center",
            npi=make_npi(f"1{next(npis)}"),
            address_line1=f"{rng.randint(10, 999)} Main St",
            city="Springfield",
            state="IL",
            postal_code="62701",
        )
    # Each client bills a mix: Medicare, Medicaid and several commercial plans.
    chosen = [payers[i % 5], payers[5 + i % 4], *rng.sample(payers[9:], rng.randint(5, 9))]
    weights = [0.30, 0.14] + [0.56 / (len(chosen) - 2)] * (len(chosen) - 2)
    return PracticeFacts(
        practice, codes, chosen, weights, doctors, billing, facility.pk if facility else None
    )


def _enrollments(workspace: Workspace, facts: list[PracticeFacts], rng: random.Random) -> None:
    today = timezone.localdate()
    rows = []
    for n, f in enumerate(facts):
        for d_i, doctor in enumerate(f.doctors):
            for p_i, payer in enumerate(f.payers):
                if n % 7 == 3 and d_i == 0 and p_i == 2:
                    continue  # a setup gap: claims to this payer, no enrollment on file
                pending = n % 5 == 0 and d_i == len(f.doctors) - 1 and p_i == 3
                if pending:  # credentialing in progress: this pair's claims are held
                    f.pending.add((doctor.pk, payer.pk))
                soon = rng.random() < 0.05
                rows.append(
                    Enrollment(
                        workspace=workspace,
                        practice=f.practice,
                        provider=doctor,
                        payer=payer,
                        status=EnrollmentStatus.PENDING if pending else EnrollmentStatus.ACTIVE,
                        effective_date=None if pending else date(2023, 1, 1),
                        revalidation_date=(
                            today + timedelta(days=rng.randint(5, 89))
                            if soon
                            else today + timedelta(days=rng.randint(200, 1500))
                        ),
                    )
                )
    Enrollment.objects.bulk_create(rows, batch_size=2000)


def _fees_and_rates(
    workspace: Workspace, facts: list[PracticeFacts], factor: dict[int, Decimal], rng: random.Random
) -> None:
    rates = []
    for n, f in enumerate(facts):
        f.fees = {code: Decimal(FEES[code]) for code in f.codes}
        if n % 6 == 0:  # some clients charge more than the book's default schedule
            schedule = FeeSchedule.objects.create(
                workspace=workspace, practice=f.practice, name=f"{f.practice.name} fees"
            )
            for code in f.codes:
                f.fees[code] = (f.fees[code] * Decimal("1.10")).quantize(CENT)
            FeeScheduleLine.objects.bulk_create(
                FeeScheduleLine(schedule=schedule, code=c, amount=a) for c, a in f.fees.items()
            )
        for payer in f.payers:
            if payer.kind == PayerKind.MEDICAID:
                continue  # Medicaid pays its published schedule: no contract on file
            for code in f.codes:
                jitter = Decimal(rng.randint(-4, 4)) / 100
                rate = (f.fees[code] * (factor[payer.pk] + jitter)).quantize(CENT)
                f.rates[(payer.pk, code)] = rate
                rates.append(
                    ContractRate(
                        workspace=workspace,
                        practice=f.practice,
                        payer=payer,
                        code=code,
                        allowed_amount=rate,
                    )
                )
    ContractRate.objects.bulk_create(rates, batch_size=2000)


def _people(
    workspace: Workspace, slug: str, practices: list[Practice], rng: random.Random
) -> dict[str, User]:
    """Owner on everything, a denial specialist and a biller on half the book each, a poster
    on two practices (one of them holding its ERAs for review): each with a confirmed
    authenticator, so a test client can sign in with MFA verified."""
    password = make_password(BOOK_PASSWORD)
    half = len(practices) // 2 or 1
    specs: list[tuple[str, str, Role, list[Practice | None]]] = [
        ("owner", "Owner (all practices)", Role.OWNER, [None]),
        ("denials", f"Denial specialist ({half} practices)", Role.DENIAL_SPECIALIST,
         list(practices[:half])),
        ("biller", f"Biller ({half} practices)", Role.BILLER, list(practices[-half:])),
        ("poster", "Payment poster (2 practices)", Role.PAYMENT_POSTER, list(practices[1:3])),
    ]  # fmt: skip
    users = {}
    for short, title, role, scope in specs:
        user = User.objects.create(
            username=f"{slug}.{short}",
            full_name=f"Book {short.title()}",
            title=title,
            workspace=workspace,
            email=f"{slug}.{short}@example.test",
            password=password,
        )
        TOTPDevice.objects.create(
            user=user, name="Authenticator", confirmed=True, key=rng.randbytes(20).hex()
        )
        Grant.objects.bulk_create(
            Grant(workspace=workspace, user=user, practice=p, role=role.value, reason="book")
            for p in scope
        )
        users[short] = user
    return users
