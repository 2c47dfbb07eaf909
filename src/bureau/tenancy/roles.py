"""Roles and capabilities, as data, in one place.

A capability is a function-level permission (`claims.edit`). A role is a named bundle of them.
Two rules are written once here and nowhere else:

* *edit implies view*: any write capability of a domain grants that domain's `.view`;
* a *read-only* grant keeps only the read capabilities of its role.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Capability(StrEnum):
    PATIENTS_VIEW = "patients.view"
    PATIENTS_EDIT = "patients.edit"
    PATIENTS_DEMOGRAPHICS = "patients.demographics"
    CLAIMS_VIEW = "claims.view"
    CLAIMS_EDIT = "claims.edit"
    CLAIMS_SUBMIT = "claims.submit"
    PAYMENTS_VIEW = "payments.view"
    PAYMENTS_POST = "payments.post"
    DENIALS_VIEW = "denials.view"
    DENIALS_WORK = "denials.work"
    # Overriding a denial workflow guard (an appeal past its deadline), with a recorded reason.
    DENIALS_SUPERVISE = "denials.supervise"
    WRITEOFFS_VIEW = "writeoffs.view"
    WRITEOFFS_REQUEST = "writeoffs.request"
    WRITEOFFS_APPROVE = "writeoffs.approve"
    REPORTS_VIEW = "reports.view"
    SETUP_VIEW = "setup.view"
    SETUP_MANAGE = "setup.manage"
    USERS_VIEW = "users.view"
    USERS_MANAGE = "users.manage"
    AUDIT_VIEW = "audit.view"
    COMPLIANCE_VIEW = "compliance.view"
    COMPLIANCE_MANAGE = "compliance.manage"
    # Supervising the work queue: every assignee's load, and handing items to other people.
    QUEUE_VIEW = "queue.view"
    QUEUE_ASSIGN = "queue.assign"
    # The billing company's questions to a client practice about its work items, and the
    # practice's answers: a narrow write of its own, so a client viewer answers and edits nothing.
    # No billing-company role holds `questions.answer`: staff cannot answer for the practice
    # (and so stop its clock) themselves.
    QUESTIONS_VIEW = "questions.view"
    QUESTIONS_ANSWER = "questions.answer"
    # Starting a client practice's offboarding (its export bundle, then a purge someone else
    # approves): the owner's alone, as is ending the business relationship.
    SETUP_OFFBOARD = "setup.offboard"

    @property
    def domain(self) -> str:
        return self.value.split(".", 1)[0]

    @property
    def is_read(self) -> bool:
        return self in READ_CAPABILITIES


# Capabilities that only read. `patients.demographics` reads (unmasked names, dates of birth,
# addresses); it is not implied by anything but granted on its own, per "minimum necessary".
READ_CAPABILITIES: frozenset[Capability] = frozenset(
    {
        Capability.PATIENTS_VIEW,
        Capability.PATIENTS_DEMOGRAPHICS,
        Capability.CLAIMS_VIEW,
        Capability.PAYMENTS_VIEW,
        Capability.DENIALS_VIEW,
        Capability.WRITEOFFS_VIEW,
        Capability.REPORTS_VIEW,
        Capability.SETUP_VIEW,
        Capability.USERS_VIEW,
        Capability.AUDIT_VIEW,
        Capability.COMPLIANCE_VIEW,
        Capability.QUEUE_VIEW,
        Capability.QUESTIONS_VIEW,
    }
)


# Capabilities that speak for the client practice itself (its answer to the billing company's
# question). No billing-company role holds them, so staff cannot answer for the practice; and
# administering a user who holds them does not need them (`accounts.authority.exceeds`): the
# owner grants a client viewer without being able to answer as the client.
CLIENT_VOICE: frozenset[Capability] = frozenset({Capability.QUESTIONS_ANSWER})


def view_capability_of(capability: Capability) -> Capability | None:
    """The `<domain>.view` capability a write capability implies (edit implies view)."""
    if capability.is_read:
        return None
    return Capability(f"{capability.domain}.view")


def with_implied(capabilities: frozenset[Capability]) -> frozenset[Capability]:
    return capabilities | {
        implied for cap in capabilities if (implied := view_capability_of(cap)) is not None
    }


class Role(StrEnum):
    OWNER = "owner"
    SUPERVISOR = "supervisor"
    ACCOUNT_MANAGER = "account_manager"
    BILLER = "biller"
    CODER = "coder"
    PAYMENT_POSTER = "payment_poster"
    DENIAL_SPECIALIST = "denial_specialist"
    COMPLIANCE_OFFICER = "compliance_officer"
    CLIENT_VIEWER = "client_viewer"
    READ_ONLY = "read_only"

    @property
    def label(self) -> str:
        return ROLE_DEFINITIONS[self].label

    @property
    def capabilities(self) -> frozenset[Capability]:
        return ROLE_CAPABILITIES[self]


@dataclass(frozen=True)
class RoleDefinition:
    label: str
    description: str
    capabilities: frozenset[Capability]


C = Capability
ROLE_DEFINITIONS: dict[Role, RoleDefinition] = {
    Role.OWNER: RoleDefinition(
        "Owner",
        "Runs the billing company; every capability but answering for a client practice.",
        frozenset(Capability) - {C.QUESTIONS_ANSWER},
    ),
    Role.SUPERVISOR: RoleDefinition(
        "Supervisor",
        "Oversees the book: approves write-offs, manages users; no compliance administration.",
        frozenset(Capability) - {C.COMPLIANCE_MANAGE, C.QUESTIONS_ANSWER, C.SETUP_OFFBOARD},
    ),
    Role.ACCOUNT_MANAGER: RoleDefinition(
        "Account manager",
        "Runs a client's month and produces the client's report.",
        frozenset(
            {
                C.PATIENTS_EDIT,
                C.PATIENTS_DEMOGRAPHICS,
                C.CLAIMS_EDIT,
                C.CLAIMS_SUBMIT,
                C.PAYMENTS_POST,
                C.DENIALS_WORK,
                C.WRITEOFFS_REQUEST,
                C.REPORTS_VIEW,
                C.SETUP_VIEW,
                C.QUEUE_ASSIGN,
                C.QUESTIONS_VIEW,
            }
        ),
    ),
    Role.BILLER: RoleDefinition(
        "Biller",
        "Creates and fixes claims, works rejections.",
        frozenset(
            {
                C.PATIENTS_EDIT,
                C.PATIENTS_DEMOGRAPHICS,
                C.CLAIMS_EDIT,
                C.CLAIMS_SUBMIT,
                C.PAYMENTS_VIEW,
                C.DENIALS_VIEW,
                C.WRITEOFFS_REQUEST,
            }
        ),
    ),
    Role.CODER: RoleDefinition(
        "Coder",
        "Codes encounters and corrects coding edits.",
        frozenset({C.PATIENTS_VIEW, C.PATIENTS_DEMOGRAPHICS, C.CLAIMS_EDIT}),
    ),
    Role.PAYMENT_POSTER: RoleDefinition(
        "Payment poster",
        "Posts ERAs and works posting exceptions.",
        frozenset({C.PATIENTS_VIEW, C.PATIENTS_DEMOGRAPHICS, C.CLAIMS_VIEW, C.PAYMENTS_POST}),
    ),
    Role.DENIAL_SPECIALIST: RoleDefinition(
        "Denial specialist",
        "Works denials and appeals; sees claims and remittances, not demographics.",
        frozenset(
            {C.PATIENTS_VIEW, C.CLAIMS_VIEW, C.PAYMENTS_VIEW, C.DENIALS_WORK, C.WRITEOFFS_REQUEST}
        ),
    ),
    Role.COMPLIANCE_OFFICER: RoleDefinition(
        "Compliance officer",
        "Audit log, access reviews, BAAs, incidents, training, exclusion checks.",
        frozenset({C.AUDIT_VIEW, C.COMPLIANCE_MANAGE, C.USERS_VIEW, C.REPORTS_VIEW}),
    ),
    Role.CLIENT_VIEWER: RoleDefinition(
        "Client viewer",
        "A client practice's owner: their own practice, read-only but for answering the billing "
        "company's questions, and who touched its data.",
        frozenset(
            {
                C.PATIENTS_VIEW,
                C.PATIENTS_DEMOGRAPHICS,
                C.CLAIMS_VIEW,
                C.PAYMENTS_VIEW,
                C.DENIALS_VIEW,
                C.REPORTS_VIEW,
                C.AUDIT_VIEW,
                C.QUESTIONS_ANSWER,
            }
        ),
    ),
    Role.READ_ONLY: RoleDefinition(
        "Read only",
        "Looks at claims, payments and patients without changing anything.",
        frozenset(
            {
                C.PATIENTS_VIEW,
                C.PATIENTS_DEMOGRAPHICS,
                C.CLAIMS_VIEW,
                C.PAYMENTS_VIEW,
                C.DENIALS_VIEW,
                C.REPORTS_VIEW,
            }
        ),
    ),
}
del C

ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    role: with_implied(definition.capabilities) for role, definition in ROLE_DEFINITIONS.items()
}


def grant_capabilities(role: Role, *, read_only: bool) -> frozenset[Capability]:
    """What one grant confers: the role's capabilities, reads only when the grant is read-only."""
    capabilities = ROLE_CAPABILITIES[role]
    if read_only:
        return frozenset(cap for cap in capabilities if cap.is_read)
    return capabilities
