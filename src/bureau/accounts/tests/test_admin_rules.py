"""User administration beyond the matrix (issue 9, item 2): nobody hands out more than they
hold (roles, practices, providers, time), grants outside the actor's practices never show a
practice name, and the edges of "administers": no grants, expired grants, read-only grants,
offboarded practices."""

from __future__ import annotations

from datetime import timedelta
from html import escape
from typing import Any

import pytest
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bureau.accounts import selectors, services
from bureau.accounts.models import User
from bureau.accounts.tests.audit_marks import new_events
from bureau.accounts.tests.conftest import Cast, grant, make_user
from bureau.audit.models import AuditAction
from bureau.conftest import verified_client
from bureau.directory.models import Provider
from bureau.tenancy.actor import Actor, CapabilityDenied, resolve_actor
from bureau.tenancy.models import Grant, Practice, PracticeStatus
from bureau.tenancy.roles import Role

pytestmark = pytest.mark.django_db
REASON = "Rules check"


def _actor(user: User) -> Actor:
    actor = resolve_actor(user)
    assert actor is not None
    return actor


def _request(
    user: User,
    role: Role,
    practice: Practice | None,
    *,
    read_only: bool = False,
    expires_in: timedelta | None = None,
    providers: tuple[int, ...] = (),
) -> services.GrantRequest:
    return services.GrantRequest(
        user=user,
        role=role,
        practice=practice,
        read_only=read_only,
        expires_at=timezone.now() + expires_in if expires_in else None,
        provider_ids=providers,
        reason=REASON,
    )


def _visible(actor: Actor, user: User) -> bool:
    try:
        selectors.administered_user_get(actor=actor, public_id=str(user.public_id))
    except Http404:
        return False
    return True


def _providers(practice: Practice) -> list[int]:
    ids = list(
        Provider.objects.filter(practice=practice).order_by("pk").values_list("pk", flat=True)
    )
    assert len(ids) >= 2, "the demo gives each practice two providers or more"
    return ids


# -- nobody hands out more than they hold ------------------------------------------------------
def test_a_one_practice_supervisor_grants_only_what_it_holds_only_where_it_manages(cast: Cast):
    sup = _actor(cast.actor("supervisor_a"))
    ada = cast.people["biller_a"]
    with pytest.raises(services.AccountError, match="You cannot grant the role Owner"):
        services.grant_create(actor=sup, request=_request(ada, Role.OWNER, cast.a))
    with pytest.raises(CapabilityDenied):
        services.grant_create(actor=sup, request=_request(ada, Role.BILLER, cast.b))
    with pytest.raises(CapabilityDenied):
        services.grant_create(actor=sup, request=_request(ada, Role.READ_ONLY, None))
    [own] = Grant.objects.filter(user=ada)
    with pytest.raises(services.AccountError, match="You cannot grant the role Owner"):
        services.grant_change_role(actor=sup, grant=own, role=Role.OWNER, reason=REASON)
    own.refresh_from_db()
    assert own.revoked_at is None and Grant.objects.filter(user=ada).count() == 1
    assert (
        not new_events()
        .filter(action__in=[AuditAction.GRANT_CREATED, AuditAction.GRANT_REVOKED])
        .exists()
    )
    # What a grant confers is what counts: a read-only owner grant carries only reads, all of
    # which a supervisor holds.
    services.grant_create(actor=sup, request=_request(ada, Role.OWNER, cast.a, read_only=True))


def test_an_all_practices_supervisor_cannot_mint_or_touch_an_owner(cast: Cast):
    sam = _actor(cast.actor("supervisor_all"))
    ada = cast.people["biller_a"]
    for practice in (cast.a, None):
        with pytest.raises(services.AccountError, match="Owner"):
            services.grant_create(actor=sam, request=_request(ada, Role.OWNER, practice))
    olivia = cast.actor("owner_all")
    with pytest.raises(CapabilityDenied):
        services.user_set_active(actor=sam, user=olivia, active=False, reason=REASON)
    olivia.refresh_from_db()
    assert olivia.is_active


def test_a_provider_limited_administrator_stays_within_its_providers(cast: Cast):
    p1, p2 = _providers(cast.a)[:2]
    limited = make_user(
        cast.workspace, "lim.supervisor", (Role.SUPERVISOR, cast.a, {"providers": (p1,)})
    )
    sup = _actor(limited)
    unlimited = make_user(cast.workspace, "un.limited", (Role.BILLER, cast.a))
    inside = make_user(cast.workspace, "in.side", (Role.BILLER, cast.a, {"providers": (p1,)}))
    beside = make_user(cast.workspace, "be.side", (Role.BILLER, cast.a, {"providers": (p2,)}))
    assert not _visible(sup, unlimited)  # sees every provider: more than the actor
    assert _visible(sup, inside)
    assert not _visible(sup, beside)
    newcomer = make_user(cast.workspace, "new.comer")
    for providers in ((), (p2,), (p1, p2)):
        with pytest.raises(services.AccountError, match="providers beyond your own"):
            services.grant_create(
                actor=sup, request=_request(newcomer, Role.BILLER, cast.a, providers=providers)
            )
    services.grant_create(
        actor=sup, request=_request(newcomer, Role.BILLER, cast.a, providers=(p1,))
    )
    # The form offers only the actor's own providers.
    response = verified_client(limited.username).get(f"/accounts/users/{newcomer.public_id}/")
    offered = {int(value) for value, _ in response.context["form"].fields["providers"].choices}
    assert offered == {p1}


def test_a_temporary_administrator_gives_only_access_that_ends_by_its_own_end(cast: Cast):
    temp = make_user(
        cast.workspace,
        "tem.porary",
        (Role.SUPERVISOR, cast.a, {"expires_at": timezone.now() + timedelta(days=3)}),
    )
    sup = _actor(temp)
    newcomer = make_user(cast.workspace, "new.comer")
    for expires_in in (None, timedelta(days=10)):
        with pytest.raises(services.AccountError, match="must end by then"):
            services.grant_create(
                actor=sup, request=_request(newcomer, Role.BILLER, cast.a, expires_in=expires_in)
            )
    [ada_grant] = Grant.objects.filter(user=cast.people["biller_a"])
    with pytest.raises(services.AccountError, match="must end by then"):
        services.grant_change_role(actor=sup, grant=ada_grant, role=Role.CODER, reason=REASON)
    services.grant_create(
        actor=sup, request=_request(newcomer, Role.BILLER, cast.a, expires_in=timedelta(days=2))
    )


# -- the edges of "administers" ----------------------------------------------------------------
def test_a_read_only_supervisor_grant_administers_nobody(cast: Cast):
    viewer = make_user(
        cast.workspace, "ro.supervisor", (Role.SUPERVISOR, cast.a, {"read_only": True})
    )
    assert selectors.administered_user_list(actor=_actor(viewer)) == []
    client = verified_client(viewer.username)
    assert client.get("/accounts/users/").status_code == 404
    ada = cast.people["biller_a"]
    assert client.get(f"/accounts/users/{ada.public_id}/").status_code == 404


def test_a_login_without_grants_belongs_to_every_manager_until_granted_elsewhere(cast: Cast):
    newcomer = make_user(cast.workspace, "new.comer")
    assert _visible(_actor(cast.actor("supervisor_a")), newcomer)
    assert _visible(_actor(cast.actor("supervisor_all")), newcomer)
    alex = verified_client(cast.actor("account_manager").username)
    assert alex.get(f"/accounts/users/{newcomer.public_id}/").status_code == 404
    services.grant_create(
        actor=_actor(cast.actor("owner_all")), request=_request(newcomer, Role.BILLER, cast.b)
    )
    assert not _visible(_actor(cast.actor("supervisor_a")), newcomer)


def test_a_closed_login_is_judged_by_the_grants_it_held(cast: Cast):
    """Review finding: an owner whose all-practices grant was revoked and login deactivated
    held nothing, so a one-practice supervisor could list and reactivate them. Whoever holds
    nothing now is judged by what they held."""
    former = make_user(cast.workspace, "ex.owner")
    grant(former, Role.SUPERVISOR, None, revoked_at=timezone.now())
    User.objects.filter(pk=former.pk).update(is_active=False)
    sup = _actor(cast.actor("supervisor_a"))
    assert not _visible(sup, former)
    with pytest.raises(CapabilityDenied):
        services.user_set_active(actor=sup, user=former, active=True, reason=REASON)
    former.refresh_from_db()
    assert former.is_active is False
    assert _visible(_actor(cast.actor("owner_all")), former)
    # A former biller of the supervisor's own practice stays the supervisor's to revive.
    staff = make_user(cast.workspace, "ex.staff")
    grant(staff, Role.BILLER, cast.a, revoked_at=timezone.now())
    assert _visible(sup, staff)


def test_an_expired_grant_outside_keeps_the_user_out_of_reach_until_revoked(cast: Cast):
    ada = cast.people["biller_a"]
    old = grant(ada, Role.BILLER, cast.b, expires_at=timezone.now() - timedelta(days=1))
    sup = _actor(cast.actor("supervisor_a"))
    assert not _visible(sup, ada)
    services.grant_revoke(actor=_actor(cast.actor("owner_all")), grant=old, reason=REASON)
    assert _visible(sup, ada)
    # The revoked grant on B stays in the record, out of the supervisor's sight.
    shown = selectors.shown_grants(
        selectors.administered_user_get(actor=sup, public_id=str(ada.public_id))
    )
    assert {g.practice_id for g in shown} == {cast.a.pk}


def test_a_grant_on_an_offboarded_practice_needs_an_all_practices_administrator(cast: Cast):
    closed = Practice.objects.get(workspace=cast.workspace, code="BVP")
    Practice.objects.filter(pk=closed.pk).update(status=PracticeStatus.OFFBOARDED)
    former = make_user(cast.workspace, "for.mer", (Role.BILLER, cast.a), (Role.BILLER, closed))
    assert _visible(_actor(cast.actor("owner_all")), former)
    assert _visible(_actor(cast.actor("supervisor_all")), former)
    assert not _visible(_actor(cast.actor("supervisor_a")), former)


# -- no practice name outside the actor's practices, anywhere ---------------------------------
def _foreign_strings(cast: Cast, managed: set[int]) -> list[str]:
    practices = list(Practice.objects.filter(workspace=cast.workspace))
    mine = set(Provider.objects.filter(practice_id__in=managed).values_list("name", flat=True))
    foreign: list[str] = []
    for practice in practices:
        if practice.pk in managed:
            continue
        foreign += [practice.name, escape(practice.name), str(practice.public_id)]
        for name in Provider.objects.filter(practice=practice).values_list("name", flat=True):
            if name not in mine:
                foreign += [name, escape(name)]
    return foreign


def _bodies(
    client: Client, cast: Cast, visible: list[User], outside: Practice
) -> list[tuple[str, Any]]:
    """Every page and answer an administrator meets: the list, each detail, refused and
    accepted changes (with the message shown after the redirect), forms with foreign picks."""
    seen: list[tuple[str, Any]] = [("list", client.get("/accounts/users/"))]
    foreign_provider = Provider.objects.filter(practice=outside).first()
    assert foreign_provider is not None
    for user in visible:
        url = f"/accounts/users/{user.public_id}/"
        seen.append((f"detail {user.username}", client.get(url)))
        form = {"role": Role.BILLER.value, "reason": REASON}
        seen.append(
            (
                "grant on a foreign practice",
                client.post(url, {**form, "practice": str(outside.public_id)}),
            )
        )
        seen.append(
            (
                "grant with a foreign provider",
                client.post(
                    url,
                    {
                        **form,
                        "practice": str(cast.a.public_id),
                        "providers": str(foreign_provider.pk),
                    },
                ),
            )
        )
    ada = cast.people["biller_a"]
    [live] = Grant.objects.filter(user=ada, practice=cast.a, revoked_at__isnull=True)
    for label, url, data in (
        ("change role", f"/accounts/grants/{live.public_id}/role/", {"role": "coder"}),
        ("bad role", f"/accounts/grants/{live.public_id}/role/", {"role": "emperor"}),
        (
            "grant",
            f"/accounts/users/{ada.public_id}/",
            {"role": Role.BILLER.value, "practice": str(cast.a.public_id)},
        ),
        ("deactivate", f"/accounts/users/{ada.public_id}/status/", {"action": "deactivate"}),
    ):
        seen.append((label, client.post(url, {**data, "reason": REASON}, follow=True)))
    latest = Grant.objects.filter(user=ada, revoked_at__isnull=True).latest("pk")
    seen.append(
        (
            "revoke",
            client.post(
                f"/accounts/grants/{latest.public_id}/revoke/", {"reason": REASON}, follow=True
            ),
        )
    )
    return seen


@pytest.mark.parametrize(
    ("actor_key", "managed_codes"),
    [("supervisor_a", {"LFM"}), ("supervisor_ab", {"LFM", "NGO"}), ("owner_a", {"LFM"})],
)
def test_grants_outside_the_actors_practices_never_show_a_practice_name(
    cast: Cast, actor_key: str, managed_codes: set[str]
):
    # Former access elsewhere, revoked: the users stay administrable, those grants unseen.
    bayview = Practice.objects.get(workspace=cast.workspace, code="BVP")
    for key in ("biller_a", "supervisor_on_a"):
        gone = timezone.now() - timedelta(days=2)
        grant(cast.people[key], Role.BILLER, bayview, revoked_at=gone)
        grant(cast.people[key], Role.READ_ONLY, None, revoked_at=gone)
    managed = set(
        Practice.objects.filter(workspace=cast.workspace, code__in=managed_codes).values_list(
            "pk", flat=True
        )
    )
    foreign = _foreign_strings(cast, managed)
    actor = _actor(cast.actor(actor_key))
    visible = selectors.administered_user_list(actor=actor)
    assert cast.people["biller_a"] in visible and cast.people["supervisor_on_a"] in visible
    for user in visible:
        assert all(g.practice_id in managed for g in selectors.shown_grants(user)), (
            f"{user.username} shows a grant outside the actor's practices"
        )
    problems = []
    for label, response in _bodies(
        verified_client(cast.actor(actor_key).username), cast, visible, bayview
    ):
        assert response.status_code in (200, 302), (label, response.status_code)
        body = response.content.decode()
        leaked = sorted({s for s in foreign if s in body})
        if leaked:
            problems.append(f"{label}: {leaked[:4]}")
    assert not problems, problems


# -- hostile input and cost ------------------------------------------------------------------
@pytest.mark.parametrize("role", ["", "emperor", "x" * 10_000, "owner\x00"])
def test_a_role_change_to_no_role_changes_nothing(cast: Cast, role: str):
    sam = verified_client(cast.actor("supervisor_all").username)
    [ada_grant] = Grant.objects.filter(user=cast.people["biller_a"])
    response = sam.post(
        f"/accounts/grants/{ada_grant.public_id}/role/", {"role": role, "reason": REASON}
    )
    assert response.status_code == 302
    ada_grant.refresh_from_db()
    assert ada_grant.revoked_at is None and Grant.objects.filter(user=ada_grant.user).count() == 1


def test_the_user_list_costs_the_same_queries_for_more_users(cast: Cast):
    actor = _actor(cast.actor("supervisor_a"))
    with CaptureQueriesContext(connection) as before:
        count = len(selectors.administered_user_list(actor=actor))
    for n in range(6):
        make_user(cast.workspace, f"more.user{n}", (Role.BILLER, cast.a), (Role.CODER, cast.a))
    with CaptureQueriesContext(connection) as after:
        assert len(selectors.administered_user_list(actor=actor)) == count + 6
    assert len(after.captured_queries) == len(before.captured_queries) <= 3


def test_the_grant_form_opens_with_no_role_and_no_practice_chosen():
    """A grant is a decision: the form must not open on "Owner, all practices"."""
    from bureau.accounts.admin_views import GrantForm

    owner = resolve_actor(User.objects.get(username="olivia.owner"))
    form = GrantForm(owner)
    assert form["role"].value() is None and form["practice"].value() is None
    assert form.fields["role"].choices[0][0] == ""  # type: ignore[attr-defined]
    assert form.fields["practice"].choices[0][0] == ""  # type: ignore[attr-defined]
    html = str(form["role"])
    assert 'value="" selected' in html
    posted = GrantForm(owner, {"reason": "Joins the team"})
    assert not posted.is_valid()
    assert set(posted.errors) >= {"role", "practice"}
