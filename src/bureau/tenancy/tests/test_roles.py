"""Roles and capabilities are data: every role and capability is accounted for and consistent."""

from bureau.tenancy.roles import (
    READ_CAPABILITIES,
    ROLE_CAPABILITIES,
    ROLE_DEFINITIONS,
    Capability,
    Role,
    grant_capabilities,
    view_capability_of,
)


def test_every_role_has_a_definition_and_every_definition_a_role():
    assert set(ROLE_DEFINITIONS) == set(Role)
    assert set(ROLE_CAPABILITIES) == set(Role)
    for role in Role:
        assert ROLE_DEFINITIONS[role].label and ROLE_DEFINITIONS[role].description


def test_every_capability_is_held_by_some_role():
    held = set().union(*ROLE_CAPABILITIES.values())
    assert held == set(Capability)


def test_every_write_capability_implies_an_existing_view():
    for cap in Capability:
        implied = view_capability_of(cap)
        if cap in READ_CAPABILITIES:
            assert implied is None
        else:
            assert implied is not None and implied in READ_CAPABILITIES, cap


def test_edit_implies_view_in_every_role():
    for role, caps in ROLE_CAPABILITIES.items():
        for cap in caps:
            implied = view_capability_of(cap)
            assert implied is None or implied in caps, f"{role}: {cap} without {implied}"


def test_read_only_grant_keeps_reads_only():
    for role in Role:
        reads = grant_capabilities(role, read_only=True)
        assert reads <= grant_capabilities(role, read_only=False)
        assert all(cap in READ_CAPABILITIES for cap in reads)
        # Nothing readable is lost by making a grant read-only.
        assert reads == {c for c in ROLE_CAPABILITIES[role] if c in READ_CAPABILITIES}


def test_minimum_necessary_patterns():
    assert Capability.PATIENTS_DEMOGRAPHICS not in ROLE_CAPABILITIES[Role.DENIAL_SPECIALIST]
    assert Capability.DENIALS_WORK in ROLE_CAPABILITIES[Role.DENIAL_SPECIALIST]
    assert Capability.USERS_MANAGE in ROLE_CAPABILITIES[Role.SUPERVISOR]
    assert Capability.USERS_MANAGE not in ROLE_CAPABILITIES[Role.BILLER]
    # A client viewer changes nothing but answers the billing company's questions.
    client_writes = {c for c in ROLE_CAPABILITIES[Role.CLIENT_VIEWER] if not c.is_read}
    assert client_writes == {Capability.QUESTIONS_ANSWER}
    assert not any(not c.is_read for c in ROLE_CAPABILITIES[Role.READ_ONLY])
    # Every capability but answering for a client practice: only the practice answers.
    assert ROLE_CAPABILITIES[Role.OWNER] == frozenset(Capability) - {Capability.QUESTIONS_ANSWER}
    staff = [r for r in Role if r is not Role.CLIENT_VIEWER]
    assert not any(Capability.QUESTIONS_ANSWER in ROLE_CAPABILITIES[r] for r in staff)
