import pytest

from bureau.accounts.models import User
from bureau.directory.models import Payer
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice


def actor(username):
    return resolve_actor(User.objects.get(username=username))


@pytest.fixture
def summit(db):
    return list(Practice.objects.filter(workspace__slug="summit").order_by("id"))


@pytest.fixture
def payers(db):
    return list(Payer.objects.filter(workspace__slug="summit").order_by("payer_id"))


@pytest.fixture
def owner(db):
    return actor("olivia.owner")
