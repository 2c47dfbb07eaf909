from bureau.accounts.models import User
from bureau.directory.npi import make_npi
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Grant, Practice
from bureau.tenancy.roles import Role


def actor(username):
    return resolve_actor(User.objects.get(username=username))


def practices():
    return list(Practice.objects.filter(workspace__slug="summit").order_by("id"))


def practice_supervisor(practice, *, read_only=False, username="pat.practice"):
    """A supervisor on one practice only (setup.manage there, not workspace-wide)."""
    user = User.objects.create(username=username, workspace=practice.workspace)
    Grant.objects.create(
        workspace=practice.workspace,
        user=user,
        practice=practice,
        role=Role.SUPERVISOR.value,
        reason="test",
        read_only=read_only,
    )
    return resolve_actor(user)


GOOD_NPI = make_npi("123456789")
