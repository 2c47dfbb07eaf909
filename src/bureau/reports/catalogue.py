"""Every report, grouped as a billing company looks for them, with what each answers.

The reports index (`/reports/`) and Home read this one list, so a new report is listed by
adding it here; each entry names the capability its page needs, and a person sees only the
reports she may open (the activity report reads the audit log: `audit.view`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability

C = Capability


@dataclass(frozen=True)
class Entry:
    url_name: str
    title: str
    answers: str
    capability: Capability = C.REPORTS_VIEW

    @property
    def href(self) -> str:
        return reverse(self.url_name)


CATALOGUE: tuple[tuple[str, tuple[Entry, ...]], ...] = (
    (
        "A/R and money",
        (
            Entry(
                "reports:aging",
                "A/R aging",
                "What is owed, by age, book → practice → payer → claim",
            ),
            Entry(
                "reports:mix",
                "Payer & CPT mix",
                "Charges, payments and claims by payer and procedure",
            ),
            Entry(
                "reports:posting",
                "ERA posting volume",
                "ERAs received, auto-posted and sent to exceptions",
            ),
            Entry(
                "reports:writeoffs",
                "Write-offs by reason",
                "Approved, taken back, refused and waiting, against the ledger",
            ),
            Entry(
                "reports:underpayments",
                "Underpayments",
                "Lines paid below contract, by payer, with the claims",
            ),
        ),
    ),
    (
        "Denials and payers",
        (
            Entry(
                "reports:denials",
                "Denials",
                "By category and CARC × payer per month, top reasons, root causes",
            ),
            Entry(
                "reports:payers",
                "Payer performance",
                "Days to pay, denial and first-pass rates, underpayments per payer",
            ),
        ),
    ),
    (
        "The team's work",
        (
            Entry(
                "reports:productivity",
                "Productivity",
                "Items and dollars resolved, attempts, per person and practice",
            ),
            Entry(
                "reports:sla", "SLA", "Work done within its service level, by function and practice"
            ),
            Entry(
                "reports:activity",
                "Activity by person",
                "Everything one person did on one day, from the audit log",
                C.AUDIT_VIEW,
            ),
        ),
    ),
    (
        "For clients",
        (
            Entry(
                "reports:kpis",
                "KPI dashboard",
                "Every KPI for a practice or the book over a period",
            ),
            Entry(
                "reports:monthly_list",
                "Monthly client reports",
                "Each practice's stored monthly report, PDF",
            ),
            Entry(
                "reports:definitions",
                "KPI definitions",
                "How each KPI is counted, its variants and targets",
            ),
            Entry(
                "workqueues:questions",
                "Questions waiting on practices",
                "What the billing company asked a practice, and its answers",
                C.QUESTIONS_VIEW,
            ),
        ),
    ),
)


def catalogue_for(actor: Actor) -> list[tuple[str, list[Entry]]]:
    """The groups with the reports this person may open (groups left empty are left out)."""
    groups = [
        (name, [e for e in entries if actor.can(e.capability)]) for name, entries in CATALOGUE
    ]
    return [(name, entries) for name, entries in groups if entries]


# The few reports Home names; the rest are one click away on the index.
SHORTCUTS = (
    "reports:aging",
    "reports:kpis",
    "reports:denials",
    "reports:payers",
    "reports:monthly_list",
    "workqueues:questions",
)


def shortcuts_for(actor: Actor) -> list[Entry]:
    entries = {e.url_name: e for _, group in CATALOGUE for e in group}
    return [entries[name] for name in SHORTCUTS if actor.can(entries[name].capability)]
