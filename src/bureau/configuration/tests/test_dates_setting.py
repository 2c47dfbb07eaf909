"""A list of dates as a setting (the workspace's holidays): parsing with messages for every bad
input, one value for the whole workspace (practice and payer overrides refused), and the
settings page showing and editing it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from bureau.configuration import services
from bureau.configuration.models import SettingValue
from bureau.configuration.registry import Kind, SettingInvalid, SettingSpec, spec_of
from bureau.configuration.resolver import settings_for
from bureau.workqueues.sla import holidays

KEY = "workspace.holidays"
URL = reverse("configuration:settings")


def parse(raw: object) -> tuple[date, ...]:
    return spec_of(KEY).parse(raw)


def test_text_or_list_sorted_with_duplicates_collapsed():
    spec = spec_of(KEY)
    assert spec.kind == Kind.DATES and spec.default == ()
    expected = (date(2026, 1, 1), date(2026, 7, 3), date(2026, 12, 25))
    assert parse("2026-12-25, 2026-01-01\n2026-07-03;2026-12-25\r\n  ") == expected
    assert parse(["2026-12-25", "2026-07-03", "2026-01-01", "2026-01-01"]) == expected
    assert parse("") == () and parse([]) == ()
    assert spec.to_json(expected) == ["2026-01-01", "2026-07-03", "2026-12-25"]
    assert parse(spec.to_json(expected)) == expected
    assert spec.display(expected) == "2026-01-01, 2026-07-03, 2026-12-25"
    assert spec.display(()) == "none"
    assert spec.form_text(expected) == "2026-01-01\n2026-07-03\n2026-12-25"
    assert parse(expected) == expected  # a typed value parses to itself
    assert parse("1900-01-01 2199-12-31") == (date(1900, 1, 1), date(2199, 12, 31))
    assert len(parse([f"2026-01-{d:02}" for d in range(1, 32)] * 6)) == 31  # 186 → 31


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("2026-02-30", "not a date (write YYYY-MM-DD): '2026-02-30'"),
        ("12/25/2026", "not a date"),
        ("20261225", "not a date"),  # fromisoformat takes it; a person reading it may not
        ("2026-12-25T10:00", "not a date"),
        ("٢٠٢٦-١٢-٢٥", "not a date"),
        ("christmas, easter, a, b", "and 1 more"),
        ("1899-12-31", "dates must fall in 1900–2199: 1899-12-31"),
        ("2200-01-01", "dates must fall in 1900–2199"),
        ("0001-01-01", "dates must fall in 1900–2199"),
        ([20261225], "not a date"),
        ([None], "not a date"),
        ([["2026-12-25"]], "not a date"),
        ({"2026-12-25": True}, "expected dates such as 2026-12-25"),
        (2026, "expected dates such as 2026-12-25"),
        (None, "expected dates such as 2026-12-25"),
        ([date(2026, 1, 1).isoformat()] + ["x" * 10_000], "not a date"),
        ([(date(2026, 1, 1) + timedelta(days=n)).isoformat() for n in range(201)], "got 201"),
        ("\n".join(f"2026-{m:02}-{d:02}" for m in range(1, 13) for d in range(1, 29)), "at most"),
        ("x " * 100_000, "at most 200 dates"),
    ],
)
def test_bad_input_is_refused_by_name(raw, fragment):
    with pytest.raises(SettingInvalid) as exc:
        parse(raw)
    message = str(exc.value)
    assert message.startswith(f"{KEY}:") and fragment in message
    assert len(message) < 300


def test_a_workspace_only_key_cannot_also_take_payer_overrides():
    with pytest.raises(ValueError, match="no payer overrides"):
        SettingSpec("x.y", Kind.DATES, (), "d", payer_override=True, workspace_only=True)


# -- through the service ---------------------------------------------------------------------
@pytest.mark.django_db
def test_set_at_the_workspace_reaches_every_practice(owner, summit):
    assert services.setting_set(
        actor=owner, practice=None, key=KEY, value="2026-12-25\n2026-01-01", reason="holidays"
    )
    row = SettingValue.objects.get(key=KEY)
    assert row.practice_id is None and row.value == ["2026-01-01", "2026-12-25"]
    for practice in summit:
        assert holidays(settings_for(practice)) == {date(2026, 1, 1), date(2026, 12, 25)}
    document = services.config_export(summit[0])
    assert document["effective"][KEY] == {
        "value": ["2026-01-01", "2026-12-25"],
        "source": "workspace",
    }


@pytest.mark.django_db
def test_practice_and_payer_overrides_are_refused(owner, summit, payers):
    practice = summit[0]
    for payer in (None, payers[0]):
        with pytest.raises(services.ConfigurationError, match="set it under All practices"):
            services.setting_set(
                actor=owner,
                practice=practice,
                key=KEY,
                value="2026-12-25",
                payer=payer,
                reason="practice holiday",
            )
    with pytest.raises(services.ConfigurationError, match="set it under All practices"):
        services.setting_clear(actor=owner, practice=practice, key=KEY, reason="practice")
    document = services.config_export(practice)
    document["overrides"][KEY] = ["2026-12-25"]
    with pytest.raises(services.ConfigurationError, match="set it under All practices"):
        services.config_import(
            actor=owner, practice=practice, document=document, reason="import it"
        )
    assert not SettingValue.objects.filter(key=KEY).exists()


@pytest.mark.django_db
def test_a_practice_row_that_got_in_anyway_is_ignored(owner, summit):
    practice = summit[0]
    SettingValue.objects.create(
        workspace_id=practice.workspace_id, practice=practice, key=KEY, value=["2026-03-03"]
    )
    assert settings_for(practice).explained(KEY) == ((), "default")


# -- through the page ------------------------------------------------------------------------
@pytest.mark.django_db
def test_settings_page_edits_and_shows_the_holidays(as_user, summit):
    client = as_user("olivia.owner")
    data = {
        "practice": "all",
        "key": KEY,
        "value": "2026-12-25\r\n2026-11-26, 2026-12-25",
        "reason": "company holidays",
        "action": "set",
    }
    response = client.post(URL, data)
    assert response.status_code == 302
    assert SettingValue.objects.get(key=KEY).value == ["2026-11-26", "2026-12-25"]
    body = client.get(URL, {"practice": "all"}).content.decode()
    assert "<strong>2026-11-26, 2026-12-25</strong>" in body
    assert f'aria-label="{KEY}">2026-11-26\n2026-12-25</textarea>' in body
    # A practice's page shows the workspace's value and sends the editor to All practices.
    body = client.get(URL, {"practice": summit[0].public_id}).content.decode()
    assert "<strong>2026-11-26, 2026-12-25</strong>" in body and "Workspace-wide" in body
    assert f'aria-label="{KEY}"' not in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("practice", "value", "fragment"),
    [
        ("all", "2026-02-30", "not a date (write YYYY-MM-DD)"),
        ("all", "2200-01-01", "dates must fall in 1900–2199"),
        ("all", "x\n" * 5000, "at most 200 dates"),
        (None, "2026-12-25", "set it under All practices"),
    ],
)
def test_settings_page_answers_bad_holidays_with_a_message(
    as_user, summit, practice, value, fragment
):
    client = as_user("olivia.owner")
    client.raise_request_exception = False
    response = client.post(
        URL,
        {
            "practice": practice or summit[0].public_id,
            "key": KEY,
            "value": value,
            "reason": "try this",
            "action": "set",
        },
    )
    assert response.status_code == 200
    assert fragment in response.content.decode()
    assert not SettingValue.objects.filter(key=KEY).exists()
