"""What to do next, per denial category: shown on the denial's page.

Data, not template logic: one entry per category, each an ordered list of steps (the first is
the usual next action; later ones are what to do when it does not work). Text only: the
actions themselves (appeal letters, corrected claims, write-offs) are their own pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from bureau.denials.models import DenialCategory as C


@dataclass(frozen=True)
class Step:
    action: str
    why: str


PLAYBOOK: Final = MappingProxyType(
    {
        C.ELIGIBILITY: (
            Step(
                "Verify coverage (270/271) for the date of service",
                "the payer found no active coverage for this patient then",
            ),
            Step("Bill the right payer or the patient", "coverage elsewhere or none at all"),
            Step(
                "Fix the registration (member id, name, date of birth) and resubmit",
                "a typo in the demographics looks like no coverage",
            ),
        ),
        C.COORDINATION_OF_BENEFITS: (
            Step("Confirm the order of payers with the patient", "another payer is primary"),
            Step(
                "Bill the primary payer, then this one with the primary's ERA",
                "secondary claims need the primary's adjudication",
            ),
        ),
        C.AUTHORIZATION: (
            Step(
                "Request a retro-authorization from the payer",
                "many payers grant one within days of the service",
            ),
            Step("If refused, appeal with the clinical notes", "urgent or emergent services"),
            Step(
                "Add the authorization number to the claim and resubmit",
                "the authorization existed but was not on the claim",
            ),
        ),
        C.MISSING_INFORMATION: (
            Step(
                "Find what is missing from the remark codes (RARC)",
                "the RARC names the missing item",
            ),
            Step(
                "Send the attachment or correct the claim and resubmit",
                "a corrected or completed claim is paid as usual",
            ),
        ),
        C.CODING: (
            Step(
                "Review codes and modifiers against the notes",
                "the payer rejected the code combination",
            ),
            Step(
                "Send a corrected claim (frequency 7)",
                "a coding fix is a replacement claim, not an appeal",
            ),
        ),
        C.BUNDLING: (
            Step(
                "Check the edit (NCCI) and whether a modifier applies",
                "the line was paid as part of another",
            ),
            Step(
                "Corrected claim with the modifier, or appeal with the notes when separate",
                "distinct services are paid separately",
            ),
        ),
        C.MEDICAL_NECESSITY: (
            Step(
                "Check the payer's coverage policy for the diagnosis",
                "non-covered or not deemed necessary",
            ),
            Step("Appeal with the clinical documentation", "necessity is argued from the notes"),
            Step(
                "Bill the patient if an ABN/waiver was signed, else write off",
                "a signed waiver makes the patient liable",
            ),
        ),
        C.FREQUENCY: (
            Step(
                "Check the benefit limit and the dates of earlier services",
                "a frequency or benefit maximum was reached",
            ),
            Step(
                "Appeal with the notes if medically needed, else bill the patient per policy",
                "limits can be exceeded when documented",
            ),
        ),
        C.CREDENTIALING: (
            Step(
                "Check the provider's enrollment with this payer on that date",
                "the provider was not credentialed or enrolled",
            ),
            Step(
                "Finish enrollment and ask for a retroactive effective date, then resubmit",
                "many payers back-date enrollment",
            ),
        ),
        C.TIMELY_FILING: (
            Step(
                "Find proof of timely filing (999/277CA acceptance, clearinghouse report)",
                "a proof of first submission in time overturns the denial",
            ),
            Step("Appeal with the proof", "the payer must honour the first submission date"),
            Step(
                "Without proof, write off (not billable to the patient)",
                "the late filing was the provider's",
            ),
        ),
        C.DUPLICATE: (
            Step(
                "Check the original claim's status with the payer",
                "the original may be paid, pending or denied",
            ),
            Step(
                "If the original was not paid, send a corrected claim or appeal",
                "a true duplicate needs nothing; a different service needs modifiers",
            ),
        ),
        C.OTHER: (
            Step(
                "Read the CARC/RARC and call the payer if unclear",
                "the code does not fit a category",
            ),
            Step(
                "Set the category on this page so the next one is routed",
                "or ask setup to override the code for the workspace",
            ),
        ),
    }
)


def steps_for(category: str) -> tuple[Step, ...]:
    return (
        PLAYBOOK.get(C(category), PLAYBOOK[C.OTHER]) if category in C.values else PLAYBOOK[C.OTHER]
    )
