"""Who waits on an offboarding finds it: the owner from the setup tabs, the compliance officer
(who approves purges) from the compliance program's tabs; others see no link."""

import pytest
from django.urls import reverse

from bureau.conftest import verified_client

pytestmark = pytest.mark.django_db
LIST = reverse("offboarding:list")


@pytest.mark.parametrize(
    ("username", "page"),
    [("olivia.owner", "directory:practices"), ("carla.compliance", "compliance:dashboard")],
)
def test_the_offboardings_list_is_linked_for_who_works_it(username, page):
    client = verified_client(username)
    html = client.get(reverse(page)).content.decode()
    assert f'href="{LIST}"' in html
    assert client.get(LIST).status_code == 200


def test_a_biller_sees_no_link_and_the_list_is_a_404():
    client = verified_client("bella.biller")
    assert f'href="{LIST}"' not in client.get(reverse("directory:practices")).content.decode()
    assert client.get(LIST).status_code == 404
