"""The demo's workforce training and policies, mid-year (synthetic; dates relative to today).

Training: the annual HIPAA course for everyone, a role-specific course for billers and payment
posters, and new-hire onboarding. Most people are current, with certificates; one is due within
the month; two are OVERDUE on the annual course (Dan, whose last completion is over a year
old, and Casey, a contractor hired ten weeks ago who never took it).

Policies: privacy, security, breach notification, sanctions and minimum necessary, with their
versions, most acknowledged by everyone. The security policy is due for its annual review
within the month (and two people have not acknowledged its new version); the privacy policy's
first version was last in effect over six years ago and may be purged, its second may not.

Every record goes through the services (as the compliance officer, or each person for their
own acknowledgement), so it is audited as a real one would be; only the people's start dates
and the acknowledgement times are set back, to make the program mid-year.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from bureau.accounts.models import User
from bureau.compliance.models.policies import Attestation, Policy, PolicyReview, PolicyVersion
from bureau.compliance.models.training import Course, CourseKind, TrainingCompletion
from bureau.compliance.policies import (
    policy_attest,
    policy_create,
    policy_review_record,
    policy_version_publish,
)
from bureau.compliance.training import training_completion_record
from bureau.compliance.workforce import workforce_members
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.models import Workspace
from bureau.tenancy.roles import Role

OFFICER = "carla.compliance"
# Days before today each person's login was created (the rest: DEFAULT_JOINED).
JOINED = {"casey.contractor": 75, "lina.limited": 200}
DEFAULT_JOINED = 700
# The annual HIPAA course's last completion, days before today (the rest spread below).
HIPAA_LAST = {"alex.manager": 350, "dan.denials": 400, "lina.limited": 190}
NEVER_TOOK_HIPAA = {"casey.contractor"}
# People whose acknowledgement of a policy's current version is missing.
NOT_ACKNOWLEDGED = {"Security policy": {"casey.contractor", "lina.limited"}}

HIPAA = "Annual HIPAA privacy and security"
ROLE_COURSE = "Claims, remittances and the minimum necessary"
ONBOARDING = "New-hire onboarding: handling PHI"


def pdf(title: str, *lines: str) -> bytes:
    """A one-page PDF naming `title` and `lines` (a readable stand-in for a real document)."""
    text = [f"BT /F1 16 Tf 60 760 Td ({_escape(title)}) Tj ET"]
    for n, line in enumerate(lines):
        text.append(f"BT /F1 11 Tf 60 {730 - 18 * n} Td ({_escape(line)}) Tj ET")
    stream = "\n".join(text).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def _actor(user: User) -> Actor:
    actor = resolve_actor(User.objects.get(pk=user.pk))
    assert actor is not None
    return actor


def _courses(workspace: Workspace, today: date) -> dict[str, Course]:
    created = _noon(today - timedelta(days=900))
    specs = [
        (HIPAA, CourseKind.ANNUAL_HIPAA, [], 12, 30),
        (ROLE_COURSE, CourseKind.ROLE_SPECIFIC, [Role.BILLER, Role.PAYMENT_POSTER], 12, 30),
        (ONBOARDING, CourseKind.ONBOARDING, [], 0, 14),
    ]
    return {
        title: Course.objects.create(
            workspace=workspace,
            title=title,
            kind=kind.value,
            roles=[r.value for r in roles],
            recurrence_months=months,
            days_allowed=days,
            created_at=created,
        )
        for title, kind, roles, months, days in specs
    }


def _complete(
    officer: Actor, user: User, course: Course, on: date, today: date, *, certificate: bool
) -> None:
    name = user.display_name
    completion = training_completion_record(
        actor=officer,
        user=user,
        course=course,
        completed_on=on,
        today=today,
        note="" if certificate else "Attendance sheet signed; certificate on file with HR.",
        certificate=(
            pdf(
                "Certificate of completion",
                f"{name} completed {course.title!r} on {on.isoformat()}.",
                "Synthetic demo certificate.",
            )
            if certificate
            else None
        ),
        certificate_filename=f"{user.username}-{course.kind}-{on.isoformat()}.pdf",
    )
    # Recorded the next working day, as it would have been.
    TrainingCompletion.objects.filter(pk=completion.pk).update(
        recorded_at=_noon(min(on + timedelta(days=1), today))
    )


def seed_training(workspace: Workspace, officer: Actor, people: list[User], today: date) -> int:
    courses = _courses(workspace, today)
    made = 0
    for n, user in enumerate(people):
        joined = today - timedelta(days=JOINED.get(user.username, DEFAULT_JOINED))
        _complete(
            officer, user, courses[ONBOARDING], joined + timedelta(days=7), today, certificate=True
        )
        made += 1
        if user.username not in NEVER_TOOK_HIPAA:
            last = HIPAA_LAST.get(user.username, 60 + (n * 37) % 250)
            _complete(
                officer,
                user,
                courses[HIPAA],
                today - timedelta(days=last),
                today,
                certificate=n % 4 != 3,
            )
            made += 1
    # The role course is due from a person's first grant of the role, and the seed's grants date
    # from before last quarter's access review (demo_reviews): each biller and poster took it.
    takers = (("bella.biller", 120), ("priya.poster", 150), ("lina.limited", 180))
    for username, days in (*takers, ("casey.contractor", 60)):
        taker = next((u for u in people if u.username == username), None)
        if taker is not None:
            _complete(
                officer,
                taker,
                courses[ROLE_COURSE],
                today - timedelta(days=days),
                today,
                certificate=True,
            )
            made += 1
    return made


POLICIES: list[tuple[str, list[tuple[int, str]], int | None]] = [
    # (title, [(days before today it took effect, what changed)], reviewed days ago)
    (
        "Privacy policy",
        [
            (3300, ""),
            (2650, "Added the business associate's duties to the practices we bill for."),
            (300, "Rewrote the uses and disclosures section; added remote work."),
        ],
        None,
    ),
    (
        "Security policy",
        [
            (1100, ""),
            (345, "Multi-factor sign-in required; laptops encrypted at rest."),
        ],
        None,
    ),
    ("Breach notification procedure", [(800, "")], 200),
    ("Sanctions policy", [(500, "")], 100),
    ("Minimum necessary standard", [(250, "")], None),
]


def _attest_all(version_people: list[User], policy: Policy, effective: date, today: date) -> None:
    version = policy.current_version
    assert version is not None
    skip = NOT_ACKNOWLEDGED.get(policy.title, set())
    for n, user in enumerate(version_people):
        if user.username in skip:
            continue
        attestation = policy_attest(actor=_actor(user), version=version)
        joined = timezone.localdate(user.date_joined)
        day = min(max(effective, joined) + timedelta(days=3 + n % 9), today)
        Attestation.objects.filter(pk=attestation.pk).update(acknowledged_at=_noon(day))


def seed_policies(officer: Actor, people: list[User], today: date) -> int:
    owner = officer.user
    for title, versions, reviewed in POLICIES:
        policy: Policy | None = None
        for number, (days, summary) in enumerate(versions, 1):
            effective = today - timedelta(days=days)
            document = pdf(
                title,
                f"Version {number}, effective {effective.isoformat()}.",
                summary or "First version.",
                "Synthetic demo policy.",
            )
            filename = f"{title.lower().replace(' ', '-')}-v{number}.pdf"
            if policy is None:
                policy = policy_create(
                    actor=officer,
                    title=title,
                    owner=owner,
                    document=document,
                    filename=filename,
                    effective_on=effective,
                    today=today,
                )
            else:
                policy_version_publish(
                    actor=officer,
                    policy=policy,
                    document=document,
                    filename=filename,
                    effective_on=effective,
                    summary=summary,
                    today=today,
                )
                policy.refresh_from_db()
            # Published a week before it took effect, as it would have been.
            assert policy.current_version is not None
            PolicyVersion.objects.filter(pk=policy.current_version.pk).update(
                published_at=_noon(effective - timedelta(days=7))
            )
            # Those employed while the version was current acknowledged it.
            later = versions[number][0] if number < len(versions) else -1
            employed = [
                u for u in people if today - timezone.localdate(u.date_joined) > timedelta(later)
            ]
            _attest_all(employed, policy, effective, today)
        if reviewed is not None and policy is not None:
            review = policy_review_record(
                actor=officer,
                policy=policy,
                reviewed_on=today - timedelta(days=reviewed),
                today=today,
                note="Annual review: no change needed.",
            )
            PolicyReview.objects.filter(pk=review.pk).update(recorded_at=_noon(review.reviewed_on))
    return len(POLICIES)


def seed_workforce(workspace: Workspace, say: Callable[[str], None] | None = None) -> None:
    today = timezone.localdate()
    officer_user = User.objects.filter(workspace=workspace, username=OFFICER).first()
    if officer_user is None:
        return
    for member in workforce_members(workspace):
        days = JOINED.get(member.user.username, DEFAULT_JOINED)
        User.objects.filter(pk=member.user.pk).update(
            date_joined=_noon(today - timedelta(days=days))
        )
    people = [m.user for m in workforce_members(workspace)]
    officer = _actor(officer_user)
    completions = seed_training(workspace, officer, people, today)
    policies = seed_policies(officer, people, today)
    if say is not None:
        say(f"compliance workforce: {completions} training completions, {policies} policies")
