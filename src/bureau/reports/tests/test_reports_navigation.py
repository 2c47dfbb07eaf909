"""The reports are reachable: from Home for everyone who may read them, and from the bar for a
client (staff keep a short bar: the queue is their way in)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bureau.conftest import verified_client

pytestmark = pytest.mark.django_db
REPORT_LINKS = (
    "reports:kpis",
    "reports:aging",
    "reports:monthly_list",
    "reports:definitions",
    "reports:productivity",
    "reports:sla",
    "reports:mix",
    "reports:posting",
    "reports:writeoffs",
    "reports:underpayments",
    "reports:denials",
    "reports:payers",
)
# Reports read from the audit log: linked for whoever reads it (audit.view).
AUDIT_REPORT_LINKS = ("reports:activity",)


@pytest.mark.parametrize(
    ("username", "in_bar"),
    [("olivia.owner", False), ("alex.manager", False), ("cliff.client", True)],
)
def test_every_report_is_on_the_index_linked_from_home_and_clients_have_it_in_the_bar(
    username, in_bar
):
    client = verified_client(username)
    home = client.get(reverse("web:home")).content.decode()
    assert f'href="{reverse("reports:index")}"' in home
    # A shortcut, naming the practice it opens (the bar may change in another tab).
    assert f'href="{reverse("reports:aging")}?practice=' in home
    index = client.get(reverse("reports:index")).content.decode()
    for name in REPORT_LINKS:
        assert f'href="{reverse(name)}"' in index, name
    for name in AUDIT_REPORT_LINKS:  # the owner and the client read the audit log; alex not
        assert (f'href="{reverse(name)}"' in index) == (username != "alex.manager"), name
    bar = home.split("</nav>", 1)[0]
    assert (f'href="{reverse("reports:index")}"' in bar) == in_bar


def test_no_report_link_for_someone_who_may_not_read_reports():
    client = verified_client("bella.biller")
    body = client.get(reverse("web:home")).content.decode()
    assert 'id="home-reports"' not in body
    assert client.get(reverse("reports:index")).status_code == 404
