"""A practice's onboarding checklist, computed from its data (never ticked by hand).

Each step is done or open, says so in a plain sentence and links to the page where it is done.
A **blocking** step is one without which the practice's claims cannot go out right: its 837P
has no billing address, no provider or facility to name, no payer enrollment, no route. While a
blocking step is open, `claims.batches.batch_build` refuses the practice (`BatchRefused`).
The other steps (BAA, taxonomy, fee schedule, a user granted) are open work the onboarding
team sees here, but a claim already entered still goes out: the BAA has its own alerts and
inventory in compliance, and stopping a client's cash would not close its exposure.

"Payers it will bill": the payers the practice has an enrollment with (in any status: a pending
enrollment says the practice means to bill that payer) or contract rates for. Coverage is PHI
and the checklist is setup data read outside any patient page, so it does not look at patients'
coverages; a claim to a payer with no enrollment at all is held by the credentialing check.

Reads only control data (directory, tenancy, compliance): no PHI, no audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from bureau.compliance.baa_queries import practice_has_baa_in_force
from bureau.directory.models import (
    ContractRate,
    Enrollment,
    EnrollmentStatus,
    FeeSchedule,
    Payer,
    Provider,
    ServiceFacility,
)
from bureau.directory.npi import is_valid_npi
from bureau.tenancy.models import Grant, Practice


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    done: bool
    says: str  # one plain sentence: what is there, or what is missing
    url: str  # where the step is done
    blocking: bool


@dataclass(frozen=True)
class Checklist:
    practice: Practice
    steps: list[Step]

    @property
    def open_steps(self) -> list[Step]:
        return [s for s in self.steps if not s.done]

    @property
    def blocking_open(self) -> list[Step]:
        return [s for s in self.steps if s.blocking and not s.done]

    @property
    def done_count(self) -> int:
        return sum(s.done for s in self.steps)

    @property
    def complete(self) -> bool:
        return not self.open_steps


def _for(name: str, practice: Practice) -> str:
    return f"{reverse(name)}?practice={practice.public_id}"


def _names(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _baa(practice: Practice, today: date) -> Step:
    done = practice_has_baa_in_force(practice, today)
    return Step(
        "baa",
        "Business associate agreement",
        done,
        "A client BAA is in force."
        if done
        else "No client BAA in force: record the signed agreement before handling its PHI.",
        reverse("compliance:baa_list"),
        blocking=False,
    )


def _address(practice: Practice) -> Step:
    done = practice.has_billing_address
    return Step(
        "billing_address",
        "Billing address",
        done,
        f"{practice.address_line1}, {practice.city}, {practice.state} {practice.postal_code}."
        if done
        else "No billing address: claims (837P loop 2010AA) need one, with ZIP+4.",
        reverse("directory:practice_edit", kwargs={"public_id": practice.public_id}),
        blocking=True,
    )


def _facility(practice: Practice) -> Step:
    count = ServiceFacility.objects.filter(practice=practice, is_active=True).count()
    return Step(
        "facility",
        "Service facility",
        count > 0,
        f"{count} active service facilit{'y' if count == 1 else 'ies'}."
        if count
        else "No active service facility: encounters need a place of service.",
        # Done: the practice's facilities; open: straight to adding one.
        _for("directory:facilities" if count else "directory:facility_create", practice),
        blocking=True,
    )


def _providers(practice: Practice) -> Step:
    providers = list(Provider.objects.filter(practice=practice, is_active=True).order_by("name"))
    bad_npi = [p.name for p in providers if not is_valid_npi(p.npi)]
    no_taxonomy = [p.name for p in providers if not p.taxonomy]
    if not providers:
        says = "No active provider: add the practice's providers with their NPIs."
    elif bad_npi:
        says = f"Invalid NPI: {_names(bad_npi)}."
    elif no_taxonomy:
        says = f"No taxonomy code: {_names(no_taxonomy)}."
    else:
        says = f"{len(providers)} active provider(s), each with an NPI and a taxonomy code."
    return Step(
        "providers",
        "Providers with NPIs and taxonomy",
        bool(providers) and not bad_npi and not no_taxonomy,
        says,
        _for("directory:providers", practice),
        # Taxonomy is situational in the 837P: its absence is open work, not a stop. A practice
        # with no provider, or one with a bad NPI, cannot bill at all.
        blocking=False,
    )


def payers_to_bill(practice: Practice) -> list[Payer]:
    """The payers the practice will bill (see the module's docstring)."""
    enrolled = Enrollment.objects.filter(practice=practice).values("payer_id")
    contracted = ContractRate.objects.filter(practice=practice).values("payer_id")
    return list(
        Payer.objects.filter(Q(pk__in=enrolled) | Q(pk__in=contracted)).order_by("name", "pk")
    )


def _enrollments(practice: Practice, payers: list[Payer], today: date) -> Step:
    active = set(
        Enrollment.objects.filter(
            practice=practice, status=EnrollmentStatus.ACTIVE, provider__is_active=True
        )
        .exclude(effective_date__gt=today)
        .exclude(end_date__lt=today)
        .values_list("payer_id", flat=True)
    )
    missing = [p.name for p in payers if p.pk not in active]
    if not payers:
        says = "No payer yet: enroll the providers with the payers the practice will bill."
    elif missing:
        says = f"No active enrollment with {_names(missing)}."
    else:
        says = f"An active enrollment with each of its {len(payers)} payer(s)."
    return Step(
        "enrollments",
        "An active enrollment per payer",
        bool(payers) and not missing,
        says,
        _for("directory:enrollments", practice),
        blocking=True,
    )


def _fees(practice: Practice) -> Step:
    own = FeeSchedule.objects.filter(practice=practice).exists()
    default = FeeSchedule.objects.filter(
        workspace_id=practice.workspace_id, practice__isnull=True
    ).exists()
    if own:
        says = "The practice has its own fee schedule."
    elif default:
        says = "The workspace default fee schedule applies (no override of its own)."
    else:
        says = "No fee schedule: neither its own nor a workspace default."
    return Step(
        "fees", "Fee schedule", own or default, says, _for("directory:fees", practice), False
    )


def _route(payers: list[Payer]) -> Step:
    unrouted = [p.name for p in payers if not p.route or not p.is_active]
    done = bool(payers) and not unrouted
    if not payers:
        says = "No payer to route claims to yet."
    elif unrouted:
        says = f"No clearinghouse route (or inactive payer): {_names(unrouted)}."
    else:
        routes = sorted({p.get_route_display() for p in payers})
        says = f"Claims go out by {', '.join(routes)}."
    return Step(
        "route", "Clearinghouse route", done, says, reverse("directory:payers"), blocking=True
    )


def _users(practice: Practice) -> Step:
    # A grant naming this practice: the owner's all-practices grant reaches every practice
    # and says nothing about who will work this one.
    count = Grant.objects.live().filter(practice=practice).values("user_id").distinct().count()
    return Step(
        "users",
        "A user granted",
        count > 0,
        f"{count} user(s) granted on this practice."
        if count
        else "Nobody is granted on this practice itself yet (all-practices grants aside).",
        reverse("accounts:user_list"),
        blocking=False,
    )


def checklist(practice: Practice, today: date | None = None) -> Checklist:
    """The practice's onboarding steps, in the order the work is usually done."""
    today = today or timezone.localdate()
    payers = payers_to_bill(practice)
    return Checklist(
        practice,
        [
            _baa(practice, today),
            _address(practice),
            _facility(practice),
            _providers(practice),
            _enrollments(practice, payers, today),
            _fees(practice),
            _route(payers),
            _users(practice),
        ],
    )


def blocking_open(practice: Practice, today: date | None = None) -> list[Step]:
    return checklist(practice, today).blocking_open
