"""Policies: versions, the annual review, attestations and their gaps, the six-year purge."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from bureau.audit.models import AuditAction, AuditEvent
from bureau.compliance.models.policies import Attestation, Policy, PolicyVersion
from bureau.compliance.policies import (
    PolicyError,
    ReviewStatus,
    attestation_gaps,
    last_in_effect,
    policy_attest,
    policy_create,
    policy_review_record,
    policy_version_publish,
    purge_version,
    purgeable_on,
    reviews_due,
)
from bureau.compliance.tests.world import PDF, PNG, World, actor_of, build_world
from bureau.tenancy.actor import CapabilityDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


def _policy(world: World, title: str, effective_on: date) -> Policy:
    return policy_create(
        actor=actor_of(world.officer),
        title=title,
        owner=world.officer,
        document=PDF,
        filename="policy.pdf",
        effective_on=effective_on,
        today=effective_on,
    )


def _publish(world: World, policy: Policy, effective_on: date, body: bytes = PDF) -> PolicyVersion:
    return policy_version_publish(
        actor=actor_of(world.officer),
        policy=policy,
        document=body + effective_on.isoformat().encode(),
        filename=f"v-{effective_on}.pdf",
        effective_on=effective_on,
        summary="Updated the sanctions section",
        today=effective_on,
    )


def _events(world: World, action: AuditAction) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(workspace=world.workspace, action=action).order_by("id"))


# -- publishing ---------------------------------------------------------------------------------
def test_publishing_versions_moves_the_current_one_and_is_audited(world: World) -> None:
    policy = _policy(world, "Sanctions", date(2024, 1, 1))
    v1 = PolicyVersion.objects.get(policy=policy, number=1)
    v2 = _publish(world, policy, date(2025, 4, 1))
    policy.refresh_from_db()
    assert (policy.current_version, v2.number) == (v2, 2)
    assert v2.document_sha256 == hashlib.sha256(PDF + b"2025-04-01").hexdigest()
    assert (last_in_effect(v1), last_in_effect(v2)) == (date(2025, 3, 31), None)
    published = _events(world, AuditAction.POLICY_PUBLISHED)
    assert [(e.detail["version"], e.detail["previous_version"]) for e in published] == [
        (1, None),
        (2, 1),
    ]
    assert published[1].record_ids == [str(v2.public_id)]


@pytest.mark.parametrize(
    ("effective_on", "summary", "body", "words"),
    [
        (date(2024, 1, 1), "same day", PDF, "must take effect after it"),
        (date(2025, 1, 1), "", PDF, "Say what changed"),
        (date(2025, 1, 1), "image", PNG, "must be a PDF file"),
        (date(2026, 6, 1), "far ahead", PDF, "more than a year ahead"),
    ],
)
def test_publishing_refusals(
    world: World, effective_on: date, summary: str, body: bytes, words: str
) -> None:
    policy = _policy(world, "Sanctions", date(2024, 1, 1))
    with pytest.raises(PolicyError, match=words):
        policy_version_publish(
            actor=actor_of(world.officer),
            policy=policy,
            document=body,
            filename="v2.pdf",
            effective_on=effective_on,
            summary=summary,
            today=date(2025, 1, 1),
        )
    assert PolicyVersion.objects.filter(policy=policy).count() == 1


def test_a_second_policy_of_the_same_title_is_refused(world: World) -> None:
    _policy(world, "Sanctions", date(2024, 1, 1))
    with pytest.raises(PolicyError, match="exists already"):
        _policy(world, "sanctions", date(2024, 2, 1))


# -- reviews ------------------------------------------------------------------------------------
def test_reviews_fall_due_twelve_months_after_the_later_of_effect_and_review(
    world: World,
) -> None:
    """On 1 Mar 2026: A (effective 10 Jan 2025) was due 10 Jan 2026, overdue; B (15 Mar 2025)
    is due 15 Mar 2026, within 30 days; C (1 Oct 2025) is due 1 Oct 2026, not listed. A review
    of A on 20 Feb 2026 moves it to 20 Feb 2027."""
    a = _policy(world, "A access control", date(2025, 1, 10))
    _policy(world, "B breach response", date(2025, 3, 15))
    _policy(world, "C contingency", date(2025, 10, 1))
    today = date(2026, 3, 1)
    assert [(r.policy.title, r.due_on, r.status) for r in reviews_due(world.workspace, today)] == [
        ("A access control", date(2026, 1, 10), ReviewStatus.OVERDUE),
        ("B breach response", date(2026, 3, 15), ReviewStatus.DUE),
    ]
    review = policy_review_record(
        actor=actor_of(world.officer), policy=a, reviewed_on=date(2026, 2, 20), today=today
    )
    assert [r.policy.title for r in reviews_due(world.workspace, today)] == ["B breach response"]
    event = _events(world, AuditAction.POLICY_REVIEWED)[0]
    assert event.record_ids == [str(review.public_id)]
    assert event.detail["next_review_on"] == "2027-02-20"


def test_a_new_version_restarts_the_review_year(world: World) -> None:
    policy = _policy(world, "A access control", date(2025, 1, 10))
    _publish(world, policy, date(2026, 2, 1))
    assert reviews_due(world.workspace, date(2026, 3, 1)) == []
    assert [r.due_on for r in reviews_due(world.workspace, date(2027, 1, 15))] == [date(2027, 2, 1)]


def test_review_refusals(world: World) -> None:
    policy = _policy(world, "A access control", date(2025, 1, 10))
    officer = actor_of(world.officer)
    with pytest.raises(PolicyError, match="in the future"):
        policy_review_record(
            actor=officer, policy=policy, reviewed_on=date(2026, 3, 2), today=date(2026, 3, 1)
        )
    with pytest.raises(PolicyError, match="was of an earlier version"):
        policy_review_record(
            actor=officer, policy=policy, reviewed_on=date(2025, 1, 9), today=date(2026, 3, 1)
        )


# -- attestations -------------------------------------------------------------------------------
def test_attestation_once_per_version_and_only_the_current_one(world: World) -> None:
    policy = _policy(world, "Sanctions", date(2024, 1, 1))
    v1 = PolicyVersion.objects.get(policy=policy, number=1)
    biller = actor_of(world.biller)
    attestation = policy_attest(actor=biller, version=v1)
    assert (attestation.user, attestation.version) == (world.biller, v1)
    with pytest.raises(PolicyError, match="You acknowledged version 1 of 'Sanctions' on"):
        policy_attest(actor=biller, version=v1)
    v2 = _publish(world, policy, date(2025, 4, 1))
    with pytest.raises(PolicyError, match="no longer current: acknowledge version 2"):
        policy_attest(actor=actor_of(world.coder), version=v1)
    policy_attest(actor=biller, version=v2)
    assert Attestation.objects.filter(user=world.biller).count() == 2
    events = _events(world, AuditAction.POLICY_ATTESTED)
    assert [(e.user, e.detail["version"]) for e in events] == [
        (world.biller, 1),
        (world.biller, 2),
    ]


def test_attestation_gaps_name_the_workforce_missing_the_current_version(world: World) -> None:
    """The five of the workforce owe it (not the client viewer); after the biller and the coder
    acknowledge v1, three remain; v2 puts all five back, but for the coder who acknowledges it."""
    policy = _policy(world, "Sanctions", date(2024, 1, 1))
    v1 = PolicyVersion.objects.get(policy=policy, number=1)
    policy_attest(actor=actor_of(world.biller), version=v1)
    policy_attest(actor=actor_of(world.coder), version=v1)
    (gap,) = attestation_gaps(world.workspace)
    assert (gap.policy, gap.version) == (policy, v1)
    assert {u.username for u in gap.missing} == {"carl.officer", "oscar.owner", "sue.supervisor"}
    v2 = _publish(world, policy, date(2025, 4, 1))
    policy_attest(actor=actor_of(world.coder), version=v2)
    (gap,) = attestation_gaps(world.workspace)
    assert gap.version == v2
    assert {u.username for u in gap.missing} == {
        "bo.biller",
        "carl.officer",
        "oscar.owner",
        "sue.supervisor",
    }
    for user in (world.biller, world.officer, world.owner, world.supervisor):
        policy_attest(actor=actor_of(user), version=v2)
    assert attestation_gaps(world.workspace) == []


def test_client_viewers_and_outsiders_do_not_attest(world: World) -> None:
    policy = _policy(world, "Sanctions", date(2024, 1, 1))
    v1 = PolicyVersion.objects.get(policy=policy, number=1)
    with pytest.raises(PolicyError, match="billing company's workforce"):
        policy_attest(actor=actor_of(world.client), version=v1)
    assert not Attestation.objects.filter(version=v1).exists()


# -- retention ----------------------------------------------------------------------------------
def test_a_version_is_kept_six_years_after_it_was_last_in_effect(world: World) -> None:
    """v1 took effect 1 Jan 2020 and v2 on 1 Apr 2021: v1 was last in effect 31 Mar 2021 and
    may be purged from 31 Mar 2027; the day before is refused, naming that date."""
    policy = _policy(world, "Sanctions", date(2020, 1, 1))
    v1 = PolicyVersion.objects.get(policy=policy, number=1)
    _publish(world, policy, date(2021, 4, 1))
    assert purgeable_on(v1) == date(2027, 3, 31)
    officer = actor_of(world.officer)
    with pytest.raises(
        PolicyError, match=r"last in effect on 2021-03-31 .* on or after 2027-03-31"
    ):
        purge_version(actor=officer, version=v1, today=date(2027, 3, 30))
    assert PolicyVersion.objects.get(pk=v1.pk).document is not None
    assert _events(world, AuditAction.POLICY_PURGED) == []
    purged = purge_version(actor=officer, version=v1, today=date(2027, 3, 31))
    stored = PolicyVersion.objects.get(pk=purged.pk)
    assert stored.document is None and stored.purged_by == world.officer
    assert stored.document_sha256 == hashlib.sha256(PDF).hexdigest()  # the record remains
    (event,) = _events(world, AuditAction.POLICY_PURGED)
    assert event.detail["last_in_effect"] == "2021-03-31"
    assert event.record_ids == [str(v1.public_id)]
    with pytest.raises(PolicyError, match="was purged on"):
        purge_version(actor=officer, version=v1, today=date(2027, 4, 1))


def test_a_version_in_effect_is_never_purged(world: World) -> None:
    """The current version, and one whose successor takes effect only later, are in effect."""
    policy = _policy(world, "Sanctions", date(2010, 1, 1))
    v1 = PolicyVersion.objects.get(policy=policy, number=1)
    officer = actor_of(world.officer)
    with pytest.raises(PolicyError, match="still in effect"):
        purge_version(actor=officer, version=v1, today=date(2030, 1, 1))
    policy_version_publish(
        actor=officer,
        policy=policy,
        document=PDF,
        filename="v2.pdf",
        effective_on=date(2026, 6, 1),
        summary="rewritten",
        today=date(2026, 5, 1),
    )
    with pytest.raises(PolicyError, match="still in effect"):
        purge_version(actor=officer, version=v1, today=date(2026, 5, 31))


# -- who may ------------------------------------------------------------------------------------
def test_only_compliance_managers_publish_review_and_purge(world: World) -> None:
    policy = _policy(world, "Sanctions", date(2010, 1, 1))
    v1 = PolicyVersion.objects.get(policy=policy, number=1)
    _publish(world, policy, date(2011, 1, 1))
    for user in (world.supervisor, world.biller, world.client):
        actor = actor_of(user)
        with pytest.raises(CapabilityDenied):
            _policy_as(actor, world)
        with pytest.raises(CapabilityDenied):
            policy_review_record(
                actor=actor, policy=policy, reviewed_on=date(2020, 1, 1), today=date(2020, 1, 1)
            )
        with pytest.raises(CapabilityDenied):
            purge_version(actor=actor, version=v1, today=date(2030, 1, 1))
    assert PolicyVersion.objects.get(pk=v1.pk).document is not None
    assert Policy.objects.filter(workspace=world.workspace).count() == 1


def _policy_as(actor, world: World) -> Policy:  # type: ignore[no-untyped-def]
    return policy_create(
        actor=actor,
        title="Mine",
        owner=world.officer,
        document=PDF,
        filename="p.pdf",
        effective_on=date(2026, 1, 1),
        today=date(2026, 1, 1),
    )


def test_gaps_and_reviews_cost_a_fixed_number_of_queries(
    world: World,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    for n in range(4):
        _policy(world, f"Policy {n}", date(2025, 1, 1 + n))
    with django_assert_num_queries(4):
        gaps = attestation_gaps(world.workspace)
    with django_assert_num_queries(2):
        due = reviews_due(world.workspace, date(2026, 3, 1))
    assert len(gaps) == 4 and len(due) == 4
