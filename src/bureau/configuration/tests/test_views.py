"""The settings page: values and sources, inline errors, edits with reasons, history, 404s."""

import pytest
from django.urls import reverse

from bureau.configuration import services
from bureau.configuration.models import SettingValue
from bureau.tenancy.models import Practice

pytestmark = pytest.mark.django_db
URL = reverse("configuration:settings")


def test_page_shows_values_sources_payer_overrides_and_history(as_user, owner, summit, payers):
    practice = summit[0]
    services.setting_set(
        actor=owner,
        practice=None,
        key="era.autopost_tolerance",
        value="2.50",
        reason="workspace policy",
    )
    services.setting_set(
        actor=owner,
        practice=practice,
        key="claims.timely_filing_days",
        value=60,
        payer=payers[0],
        reason="payer contract says 60",
    )
    response = as_user("olivia.owner").get(URL, {"practice": practice.public_id})
    body = response.content.decode()
    assert response.status_code == 200
    assert "era.autopost_tolerance" in body and "source-workspace" in body
    assert f'{payers[0].name} <small class="muted">{payers[0].payer_id}</small>: 60' in body
    assert "payer contract says 60" in body and "(inherited)" in body
    assert 'name="reason"' in body  # the owner may edit


def test_all_practices_shows_workspace_defaults(as_user, owner):
    services.setting_set(
        actor=owner, practice=None, key="scrub.rules_enabled", value=False, reason="monthly-ish"
    )
    body = as_user("olivia.owner").get(URL, {"practice": "all"}).content.decode()
    assert "workspace defaults" in body and "monthly-ish" in body and "source-workspace" in body


def test_edit_with_reason(as_user, summit):
    practice = summit[0]
    client = as_user("olivia.owner")
    response = client.post(
        URL,
        {
            "practice": practice.public_id,
            "key": "claims.timely_filing_days",
            "value": "45",
            "reason": "client request",
            "action": "set",
        },
    )
    assert response.status_code == 302
    assert SettingValue.objects.get(practice=practice, key="claims.timely_filing_days").value == 45
    body = client.get(response["Location"]).content.decode()
    assert "client request" in body


def test_payer_override_edit_and_clear(as_user, summit, payers):
    practice, payer = summit[0], payers[0]
    client = as_user("olivia.owner")
    data = {
        "practice": practice.public_id,
        "key": "claims.timely_filing_days",
        "value": "90",
        "payer": payer.public_id,
        "reason": "payer contract",
        "action": "set",
    }
    assert client.post(URL, data).status_code == 302
    assert SettingValue.objects.get(practice=practice, payer=payer).value == 90
    assert client.post(URL, {**data, "action": "clear"}).status_code == 302
    assert not SettingValue.objects.exists()


@pytest.mark.parametrize(
    ("value", "reason", "message"),
    [
        ("-3", "a reason", "claims.timely_filing_days: must be at least 1"),
        ("45", "", "Give a reason"),
    ],
)
def test_errors_shown_inline_and_nothing_changes(as_user, summit, value, reason, message):
    response = as_user("olivia.owner").post(
        URL,
        {
            "practice": summit[0].public_id,
            "key": "claims.timely_filing_days",
            "value": value,
            "reason": reason,
            "action": "set",
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SettingValue.objects.exists()


def test_viewer_without_manage_sees_no_forms_and_cannot_post(as_user, summit):
    client = as_user("alex.manager")  # setup.view
    response = client.get(URL, {"practice": summit[0].public_id})
    assert response.status_code == 200 and 'name="reason"' not in response.content.decode()
    response = client.post(
        URL,
        {
            "practice": summit[0].public_id,
            "key": "era.autopost_denials",
            "value": "5",
            "reason": "sneaky",
            "action": "set",
        },
    )
    assert response.status_code == 200 and "may not change" in response.content.decode()
    assert not SettingValue.objects.exists()


def test_forbidden_practice_and_payer_are_404(as_user, summit):
    harbor = Practice.objects.filter(workspace__slug="harbor").first()
    client = as_user("olivia.owner")
    assert client.get(URL, {"practice": harbor.public_id}).status_code == 404
    assert (
        client.post(
            URL,
            {
                "practice": harbor.public_id,
                "key": "era.autopost_denials",
                "value": "5",
                "reason": "foreign",
            },
        ).status_code
        == 404
    )
    assert (
        client.post(
            URL,
            {
                "practice": summit[0].public_id,
                "key": "era.autopost_denials",
                "value": "5",
                "reason": "x y z",
                "payer": "nope",
            },
        ).status_code
        == 404
    )
    assert as_user("bella.biller").get(URL).status_code == 404  # no setup.view
    assert not SettingValue.objects.exists()


def test_nav_link(as_user):
    assert 'href="/settings/"' in as_user("olivia.owner").get("/").content.decode()
    assert 'href="/settings/"' not in as_user("bella.biller").get("/").content.decode()


def test_page_query_count_does_not_grow_with_overrides(
    as_user, owner, summit, payers, django_assert_max_num_queries
):
    practice = summit[0]
    for payer in payers:
        services.setting_set(
            actor=owner,
            practice=practice,
            key="claims.timely_filing_days",
            value=100,
            payer=payer,
            reason="payer rule",
        )
    client = as_user("olivia.owner")
    with django_assert_max_num_queries(20):
        assert client.get(URL, {"practice": practice.public_id}).status_code == 200
