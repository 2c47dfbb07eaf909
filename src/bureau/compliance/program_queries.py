"""The compliance dashboard's reads: what is overdue or expiring across the whole program, one
block per part, each from that part's own selectors (their rules are not repeated here).

For `compliance.view` on the whole workspace (the page checks it); a workspace's program is
tens of BAAs and policies, hundreds of people × courses: each block costs a handful of queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from bureau.accounts.models import User
from bureau.compliance import access_review_selectors, baa_queries, incidents, policies, training
from bureau.compliance.access_review_services import next_due as next_review_due
from bureau.compliance.incident_queries import incidents_visible_to
from bureau.compliance.models.access_review import AccessReviewStatus
from bureau.compliance.models.baa import (
    BaaDirection,
    BaaStatus,
    BusinessAssociateAgreement,
    add_months,
)
from bureau.compliance.models.incidents import Incident
from bureau.compliance.models.screening import (
    ExclusionListImport,
    HitStatus,
    RunScope,
    ScreeningHit,
    ScreeningRun,
)
from bureau.compliance.tasks import screening_due
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice, PracticeStatus, Workspace


@dataclass(frozen=True)
class BaaBlock:
    alerts: list[baa_queries.ExpiryAlert]
    missing: list[Practice]
    gaps: list[baa_queries.FlowDownGap]

    @property
    def missed(self) -> int:
        """Obligations missed now: expired agreements, practices without one, broken flow-down."""
        expired = sum(a.level == baa_queries.AlertLevel.EXPIRED for a in self.alerts)
        return expired + len(self.missing) + len(self.gaps)


@dataclass(frozen=True)
class IncidentBlock:
    clocks: list[tuple[Incident, incidents.BreachClock]]
    open_count: int

    @property
    def missed(self) -> int:
        return sum(clock.next_due.overdue for _, clock in self.clocks)


@dataclass
class PersonTraining:
    user: User
    overdue: list[training.TrainingDue] = field(default_factory=list)
    due: list[training.TrainingDue] = field(default_factory=list)


@dataclass(frozen=True)
class TrainingBlock:
    people: list[PersonTraining]

    @property
    def missed(self) -> int:
        return sum(bool(p.overdue) for p in self.people)


@dataclass(frozen=True)
class PolicyBlock:
    reviews: list[policies.PolicyReviewDue]
    gaps: list[policies.AttestationGap]

    @property
    def missed(self) -> int:
        return sum(r.status == policies.ReviewStatus.OVERDUE for r in self.reviews)


@dataclass(frozen=True)
class ScreeningBlock:
    has_list: bool
    last_run: ScreeningRun | None
    month_due: bool  # no whole-workforce run yet this calendar month: due, not yet missed
    overdue: bool  # a list is in and no whole-workforce run for more than a month: missed
    open_hits: int

    @property
    def missed(self) -> int:
        return int(self.overdue or not self.has_list) + self.open_hits


@dataclass(frozen=True)
class ReviewBlock:
    open: list[access_review_selectors.ReviewProgress]
    next_due: date | None

    @property
    def missed(self) -> int:
        return sum(p.overdue for p in self.open)


@dataclass(frozen=True)
class Dashboard:
    today: date
    baas: BaaBlock
    incidents: IncidentBlock
    training: TrainingBlock
    policies: PolicyBlock
    screening: ScreeningBlock
    reviews: ReviewBlock

    @property
    def missed(self) -> int:
        return sum(
            block.missed
            for block in (
                self.baas,
                self.incidents,
                self.training,
                self.policies,
                self.screening,
                self.reviews,
            )
        )


def baa_block(workspace: Workspace, today: date) -> BaaBlock:
    return BaaBlock(
        alerts=baa_queries.expiring(workspace, today),
        missing=baa_queries.practices_without_baa_in_force(workspace, today),
        gaps=baa_queries.flow_down_gaps(workspace, today),
    )


def incident_block(actor: Actor, today: date) -> IncidentBlock:
    visible = list(incidents_visible_to(actor).prefetch_related("affected_practices"))
    return IncidentBlock(
        clocks=incidents.open_clocks(visible, today),
        open_count=sum(i.is_open for i in visible),
    )


def training_block(workspace: Workspace, today: date) -> TrainingBlock:
    people: dict[int, PersonTraining] = {}
    for row in training.workforce_status(workspace, today):
        if row.status == training.TrainingStatus.DONE:
            continue
        person = people.setdefault(row.user.pk, PersonTraining(user=row.user))
        (person.overdue if row.status == training.TrainingStatus.OVERDUE else person.due).append(
            row
        )
    ordered = sorted(
        people.values(),
        key=lambda p: (not p.overdue, p.user.display_name.lower()),
    )
    return TrainingBlock(people=ordered)


def policy_block(workspace: Workspace, today: date) -> PolicyBlock:
    return PolicyBlock(
        reviews=policies.reviews_due(workspace, today),
        gaps=policies.attestation_gaps(workspace),
    )


def screening_block(workspace: Workspace, today: date) -> ScreeningBlock:
    has_list = ExclusionListImport.objects.filter(workspace=workspace).exists()
    last_run = (
        ScreeningRun.objects.filter(workspace=workspace, scope=RunScope.EVERYONE)
        .order_by("-ran_at", "-pk")
        .first()
    )
    # Screening is monthly: on the 7th, last month's 18th run is not yet a missed obligation
    # (the scheduled task runs this month's); a month without any run is.
    month_ago = add_months(today, -1)
    return ScreeningBlock(
        has_list=has_list,
        last_run=last_run,
        month_due=has_list and screening_due(workspace, today=today),
        overdue=has_list and (last_run is None or timezone.localdate(last_run.ran_at) < month_ago),
        open_hits=ScreeningHit.objects.filter(workspace=workspace, status=HitStatus.OPEN).count(),
    )


def review_block(actor: Actor, today: date) -> ReviewBlock:
    still_open = [
        r
        for r in access_review_selectors.visible_reviews(actor)
        if r.status != AccessReviewStatus.LOCKED
    ]
    return ReviewBlock(
        open=sorted(
            access_review_selectors.progress(still_open, today),
            key=lambda p: (p.review.due_on, p.review.pk),
        ),
        next_due=next_review_due(actor.workspace, today),
    )


def dashboard(actor: Actor, today: date) -> Dashboard:
    workspace = actor.workspace
    return Dashboard(
        today=today,
        baas=baa_block(workspace, today),
        incidents=incident_block(actor, today),
        training=training_block(workspace, today),
        policies=policy_block(workspace, today),
        screening=screening_block(workspace, today),
        reviews=review_block(actor, today),
    )


@dataclass(frozen=True)
class HomeGlance:
    """For the officer's home: the BAA obligations needing action, from two queries."""

    expired: int
    expiring_30: int
    missing: int

    @property
    def total(self) -> int:
        return self.expired + self.expiring_30 + self.missing


def home_glance(workspace: Workspace, today: date) -> HomeGlance:
    """Cheap enough for the home page: two queries (the workspace's BAAs, its practices' ids),
    by the same rules as `baa_queries.expiring` and `practices_without_baa_in_force`."""
    baas = list(
        BusinessAssociateAgreement.objects.filter(workspace=workspace)
        .select_related("practice")
        .defer("document")
    )
    covered = {baa_queries.party_key(b) for b in baas if b.in_force_on(today)}
    levels: dict[baa_queries.AlertLevel, int] = defaultdict(int)
    for baa in baas:
        status = baa.status_on(today)
        expiry = baa.current_expiry(today)
        if status not in (BaaStatus.IN_FORCE, BaaStatus.EXPIRED) or baa.auto_renews:
            continue
        if expiry is None:
            continue
        days_left = (expiry - today).days
        if days_left < 0 and baa_queries.party_key(baa) not in covered:
            levels[baa_queries.AlertLevel.EXPIRED] += 1
        elif 0 <= days_left <= baa_queries.SECOND_ALERT_DAYS:
            levels[baa_queries.AlertLevel.DAYS_30] += 1
    practices = set(
        Practice.objects.filter(workspace=workspace)
        .exclude(status=PracticeStatus.OFFBOARDED)
        .values_list("pk", flat=True)
    )
    in_force = {
        b.practice_id for b in baas if b.direction == BaaDirection.CLIENT and b.in_force_on(today)
    }
    return HomeGlance(
        expired=levels[baa_queries.AlertLevel.EXPIRED],
        expiring_30=levels[baa_queries.AlertLevel.DAYS_30],
        missing=len(practices - in_force),
    )


def practice_incidents(actor: Actor, practice_id: int) -> list[Incident]:
    """The incidents the actor may read that affected this practice, newest discovery first."""
    return list(
        incidents_visible_to(actor)
        .filter(affected_practices=practice_id)
        .order_by("-discovered_at", "-pk")
        .distinct()
    )
