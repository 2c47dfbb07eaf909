"""The home page follows its practice like every page with ?practice= (issue 14): the glance,
"Your work", "Your practices" and the report shortcuts show the one practice the page shows and
link to it explicitly; a link to the work queue is shown only to who may open it."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from bureau.conftest import verified_client
from bureau.tenancy.context import SESSION_KEY
from bureau.tenancy.models import Practice

pytestmark = pytest.mark.django_db
LAKESIDE = "Lakeside Family Medicine"


def _lakeside() -> Practice:
    return Practice.objects.get(workspace__slug="summit", name=LAKESIDE)


def _hrefs(response: Any) -> list[str]:
    return [
        h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', response.content.decode())
    ]


@pytest.mark.parametrize("username", ["carla.compliance", "olivia.owner"])
def test_every_queue_link_on_the_home_opens(username):
    client = verified_client(username)
    response = client.get("/")
    assert response.status_code == 200 and response.context["book"] is not None
    for href in [h for h in _hrefs(response) if h.startswith("/queue/")]:
        assert client.get(href).status_code == 200, href


def test_a_read_only_reader_sees_breaches_as_a_plain_number():
    response = verified_client("carla.compliance").get("/")
    book = response.content.decode().split('id="home-book"')[1].split("</section>")[0]
    assert "sla=breached" not in book
    assert "SLA breached now" in book
    assert response.context["book"].queue_link == ""


def test_under_a_bar_naming_one_practice_the_home_shows_it_alone():
    lakeside = _lakeside()
    client = verified_client("olivia.owner")
    session = client.session
    session[SESSION_KEY] = str(lakeside.public_id)
    session.save()
    response = client.get("/")
    assert response.context["book"].practice == lakeside
    work = response.context["work"]
    assert work.rows and {r["practice_id"] for r in work.rows} == {lakeside.pk}
    assert work.breached == sum(r["breached"] for r in work.rows)
    assert [s.practice for s in response.context["summaries"]] == [lakeside]
    assert response.context["totals"] is None
    html = response.content.decode().split('id="home-book"')[1]  # the bar lists every one
    others = Practice.objects.filter(workspace__slug="summit").exclude(pk=lakeside.pk)
    assert not [p.name for p in others if p.name in html]
    shortcuts = html.split('id="home-reports"')[1].split("</p>")[0]
    links = re.findall(r'href="([^"]+)"', shortcuts)
    assert all(f"practice={lakeside.public_id}" in h for h in links[:-1]) and len(links) > 2
    mine = html.split('id="work-summary"')[0].rsplit("<h1>Your work", 1)[1]
    assert all(
        f"practice={lakeside.public_id}" in h for h in re.findall(r'href="([^"]+)"', mine)[1:]
    )


def test_the_whole_book_links_its_shortcuts_to_all_practices():
    html = verified_client("olivia.owner").get("/").content.decode()
    shortcuts = html.split('id="home-reports"')[1].split("</p>")[0]
    assert "/reports/aging/?practice=all" in shortcuts


def test_staff_asking_for_a_practice_get_it_and_the_bar_follows():
    lakeside = _lakeside()
    other = Practice.objects.filter(workspace__slug="summit").exclude(pk=lakeside.pk)[0]
    client = verified_client("olivia.owner")
    session = client.session
    session[SESSION_KEY] = str(other.public_id)
    session.save()
    response = client.get(f"/?practice={lakeside.public_id}")
    assert response.status_code == 200
    assert response.context["book"].practice == lakeside
    assert client.session[SESSION_KEY] == str(lakeside.public_id)
    assert client.get("/?practice=all").context["book"].practice is None
    assert client.session[SESSION_KEY] == "all"


def test_staff_asking_for_a_practice_they_may_not_see_get_the_missing_404():
    from bureau.tenancy.roles import Role
    from bureau.web.tests.test_file_downloads import Person, _make_person

    username = _make_person(Person("biller of one", ((Role.BILLER, 0),)))
    client = verified_client(username)
    mine = Practice.objects.filter(workspace__slug="summit").order_by("id")[0]
    foreign = Practice.objects.filter(workspace__slug="summit").exclude(pk=mine.pk)[0]
    refused = client.get(f"/?practice={foreign.public_id}")
    missing = client.get(f"/?practice={uuid.uuid4()}")
    assert refused.status_code == missing.status_code == 404
    assert refused.content == missing.content
    assert client.get(f"/?practice={mine.public_id}").status_code == 200
