"""Setting writes and the resolver: levels, capability, validation, audit, reach of a
workspace default."""

from decimal import Decimal

import pytest

from bureau.audit.models import AuditAction, AuditEvent
from bureau.configuration import services
from bureau.configuration.models import SettingValue
from bureau.configuration.resolver import setting, setting_explained, settings_for
from bureau.directory.models import Payer
from bureau.tenancy.actor import CapabilityDenied
from bureau.tenancy.models import Practice, Workspace

from .conftest import actor

pytestmark = pytest.mark.django_db
KEY = "claims.timely_filing_days"


def test_registry_default_then_each_level_in_order(owner, summit, payers):
    practice, payer = summit[0], payers[0]
    assert setting_explained(practice, KEY, payer) == (365, "default")
    services.setting_set(actor=owner, practice=None, key=KEY, value="200", reason="policy change")
    assert setting_explained(practice, KEY, payer) == (200, "workspace")
    services.setting_set(actor=owner, practice=practice, key=KEY, value=150, reason="contract")
    assert setting_explained(practice, KEY, payer) == (150, "practice")
    services.setting_set(
        actor=owner, practice=practice, key=KEY, value=90, payer=payer, reason="payer contract"
    )
    assert setting_explained(practice, KEY, payer) == (90, "payer")
    assert setting(practice, KEY, payers[1]) == 150  # another payer: the practice override
    assert setting(practice, KEY) == 150
    services.setting_clear(actor=owner, practice=practice, key=KEY, reason="back to default")
    assert setting_explained(practice, KEY) == (200, "workspace")
    assert setting_explained(practice, KEY, payer) == (90, "payer")


def test_workspace_default_reaches_practices_without_override_only(owner, summit):
    overridden, *others = summit
    services.setting_set(
        actor=owner,
        practice=overridden,
        key=KEY,
        value=7,
        reason="client asked for faster turnaround",
    )
    services.setting_set(actor=owner, practice=None, key=KEY, value=21, reason="workspace policy")
    assert setting_explained(overridden, KEY) == (7, "practice")
    for practice in others:
        assert setting_explained(practice, KEY) == (21, "workspace")
    harbor = Practice.objects.filter(workspace__slug="harbor").first()
    assert setting_explained(harbor, KEY) == (365, "default")


def test_decimal_values_round_trip_as_strings(owner, summit):
    services.setting_set(
        actor=owner,
        practice=summit[0],
        key="era.autopost_tolerance",
        value="0.5",
        reason="small rounding",
    )
    row = SettingValue.objects.get(practice=summit[0], key="era.autopost_tolerance")
    assert row.value == "0.50"
    assert setting(summit[0], "era.autopost_tolerance") == Decimal("0.50")


def test_change_is_audited_with_old_and_new(owner, summit, payers):
    practice = summit[1]
    services.setting_set(actor=owner, practice=practice, key=KEY, value=100, reason="first set")
    services.setting_set(actor=owner, practice=practice, key=KEY, value=120, reason="second")
    services.setting_set(
        actor=owner, practice=practice, key=KEY, value=80, payer=payers[0], reason="payer rule"
    )
    services.setting_clear(actor=owner, practice=practice, key=KEY, reason="undo override")
    events = list(
        AuditEvent.objects.filter(
            practice=practice, action__in=[AuditAction.SETTING_CHANGED, AuditAction.SETTING_CLEARED]
        ).order_by("id")
    )
    assert [(e.detail["old"], e.detail["new"], e.reason) for e in events] == [
        (None, 100, "first set"),
        (100, 120, "second"),
        (None, 80, "payer rule"),
        (120, None, "undo override"),
    ]
    assert events[2].detail["payer"] == payers[0].payer_id
    assert events[-1].action == AuditAction.SETTING_CLEARED
    assert all(e.user == owner.user for e in events)


def test_no_change_no_event(owner, summit):
    services.setting_set(actor=owner, practice=summit[0], key=KEY, value=100, reason="set it")
    count = AuditEvent.objects.count()
    assert (
        services.setting_set(
            actor=owner, practice=summit[0], key=KEY, value="100", reason="same again"
        )
        is False
    )
    assert (
        services.setting_clear(actor=owner, practice=summit[2], key=KEY, reason="nothing there")
        is False
    )
    assert AuditEvent.objects.count() == count


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"value": "abc"}, "claims.timely_filing_days: expected a whole number"),
        ({"value": "0"}, "claims.timely_filing_days: must be at least 1"),
        ({"value": "90", "reason": ""}, "reason"),
        (
            {"key": "era.autopost_enabled", "value": "true", "payer": True},
            "era.autopost_enabled: this setting cannot be overridden per payer",
        ),
        ({"key": "nope", "value": "1"}, None),
    ],
)
def test_invalid_changes_are_refused(owner, summit, payers, kwargs, message):
    args = {"actor": owner, "practice": summit[0], "key": KEY, "reason": "a reason"} | kwargs
    if args.get("payer") is True:
        args["payer"] = payers[0]
    with pytest.raises(ValueError, match=message or "nope: unknown"):
        services.setting_set(**args)
    assert not SettingValue.objects.exists()


def test_capabilities(summit):
    manager = actor("alex.manager")  # setup.view only
    with pytest.raises(CapabilityDenied):
        services.setting_set(
            actor=manager, practice=summit[0], key=KEY, value=90, reason="not allowed"
        )
    with pytest.raises(CapabilityDenied):
        services.setting_set(actor=manager, practice=None, key=KEY, value=90, reason="no")
    hank = actor("hank.harbor")  # owner of another workspace
    with pytest.raises(CapabilityDenied):
        services.setting_clear(actor=hank, practice=summit[0], key=KEY, reason="foreign")
    assert not SettingValue.objects.exists()


def test_payer_of_another_workspace_is_refused(owner, summit):
    harbor = Workspace.objects.get(slug="harbor")
    foreign = Payer.objects.create(workspace=harbor, name="Foreign", payer_id="FRGN1")
    with pytest.raises(CapabilityDenied):
        services.setting_set(
            actor=owner,
            practice=summit[0],
            key=KEY,
            value=90,
            payer=foreign,
            reason="foreign payer",
        )


def test_settings_for_is_one_query_for_any_number_of_lookups(
    owner, summit, payers, django_assert_num_queries
):
    practice = summit[0]
    services.setting_set(actor=owner, practice=None, key=KEY, value=200, reason="workspace")
    for payer in payers:
        services.setting_set(
            actor=owner, practice=practice, key=KEY, value=100, payer=payer, reason="payer rule"
        )
    with django_assert_num_queries(1):
        effective = settings_for(practice)
        for _ in range(10_000):
            for payer in payers:
                assert effective.get(KEY, payer.pk) == 100
        assert effective.get("scrub.rules_enabled") is True
