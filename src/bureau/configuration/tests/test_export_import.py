"""Export and import of a practice's configuration, in code and through `bureau config`."""

import json

import pytest
from django.core.management import call_command

from bureau.audit.models import AuditAction, AuditEvent
from bureau.configuration import services
from bureau.configuration.models import SettingValue

pytestmark = pytest.mark.django_db
RULES = [
    {
        "field": "place_of_service",
        "op": "eq",
        "value": "11",
        "severity": "warning",
        "message": "Check POS",
    }
]


def _configure(owner, practice, payers):
    services.setting_set(
        actor=owner,
        practice=None,
        key="scrub.rules_enabled",
        value=False,
        reason="workspace policy",
    )
    services.setting_set(
        actor=owner,
        practice=practice,
        key="claims.timely_filing_days",
        value=120,
        reason="client contract",
    )
    services.setting_set(
        actor=owner,
        practice=practice,
        key="era.autopost_tolerance",
        value="1.25",
        reason="client contract",
    )
    services.setting_set(
        actor=owner,
        practice=practice,
        key="scrub.custom_rules",
        value=RULES,
        payer=payers[0],
        reason="payer rule",
    )
    services.setting_set(
        actor=owner,
        practice=practice,
        key="claims.timely_filing_days",
        value=60,
        payer=payers[1],
        reason="payer rule",
    )


def _effective(document):
    return {k: v for k, v in document.items() if k != "exported_at"}


def test_export_document(owner, summit, payers):
    practice = summit[0]
    _configure(owner, practice, payers)
    doc = services.config_export(practice)
    assert doc["practice"]["npi"] == practice.npi
    assert doc["overrides"] == {"claims.timely_filing_days": 120, "era.autopost_tolerance": "1.25"}
    assert doc["payer_overrides"] == {
        payers[0].payer_id: {"scrub.custom_rules": RULES},
        payers[1].payer_id: {"claims.timely_filing_days": 60},
    }
    assert doc["effective"]["scrub.rules_enabled"] == {"value": False, "source": "workspace"}
    assert doc["effective"]["era.autopost_tolerance"] == {"value": "1.25", "source": "practice"}
    assert doc["effective"]["era.autopost_denials"] == {"value": False, "source": "default"}
    json.dumps(doc)  # plain JSON: no Decimal or float left


def test_round_trip_yields_identical_effective_settings(owner, summit, payers):
    practice = summit[0]
    _configure(owner, practice, payers)
    before = services.config_export(practice)
    # Change things, then import the earlier document: everything comes back.
    services.setting_set(
        actor=owner, practice=practice, key="era.autopost_denials", value=True, reason="drift"
    )
    services.setting_clear(
        actor=owner,
        practice=practice,
        key="claims.timely_filing_days",
        payer=payers[1],
        reason="drift",
    )
    changed = services.config_import(
        actor=owner, practice=practice, document=before, reason="restore"
    )
    assert changed == 2
    assert _effective(services.config_export(practice)) == _effective(before)
    # The same document onto another practice of the workspace (after fixing the NPI).
    other = summit[1]
    copy = {**before, "practice": {"npi": other.npi}}
    services.config_import(actor=owner, practice=other, document=copy, reason="clone setup")
    assert services.config_export(other)["effective"] == before["effective"]
    assert AuditEvent.objects.filter(action=AuditAction.CONFIG_IMPORTED).count() == 2


def test_bad_import_lists_every_problem_and_changes_nothing(owner, summit, payers):
    practice = summit[0]
    _configure(owner, practice, payers)
    rows = sorted(SettingValue.objects.values_list("pk", "key", "value"))
    events = AuditEvent.objects.count()
    document = services.config_export(practice)
    document["practice"]["npi"] = summit[1].npi
    document["overrides"]["nope.nope"] = 1
    document["overrides"]["era.autopost_denials"] = "soon"
    document["overrides"]["claims.timely_filing_days"] = 1  # valid, would change
    document["payer_overrides"]["NOSUCHPAYER"] = {"claims.timely_filing_days": 30}
    document["payer_overrides"][payers[2].payer_id] = {"era.autopost_enabled": True}
    with pytest.raises(services.ConfigurationError) as exc:
        services.config_import(
            actor=owner, practice=practice, document=document, reason="bad import"
        )
    problems = exc.value.problems
    assert len(problems) == 5, problems
    text = str(exc.value)
    for fragment in [
        "NPI",
        "nope.nope: unknown",
        "era.autopost_denials: expected true or false",
        "unknown payer id 'NOSUCHPAYER'",
        "cannot be overridden per payer",
    ]:
        assert fragment in text
    assert sorted(SettingValue.objects.values_list("pk", "key", "value")) == rows
    assert AuditEvent.objects.count() == events


def test_cli_export_and_import(owner, summit, payers, tmp_path, capsys):
    """`bureau config export` writes the whole setup document (docs/practice-setup.md); its
    settings come back on import. The setup document's own tests: test_practice_setup*.py."""
    practice = summit[0]
    _configure(owner, practice, payers)
    out = tmp_path / "setup.json"
    call_command("config", "export", "--practice", practice.npi, "--output", str(out))
    document = json.loads(out.read_text())
    assert document["format"] == "bureau.practice-setup/1"
    assert document["settings"] == {
        "claims.timely_filing_days": 120,
        "era.autopost_tolerance": "1.25",
    }
    before = services.config_export(practice)
    SettingValue.objects.filter(practice=practice).delete()
    call_command(
        "config", "import", "--practice", practice.npi, str(out), "--reason", "restore from file"
    )
    assert "imported setup: 4 changes" in capsys.readouterr().out
    assert _effective(services.config_export(practice)) == _effective(before)
    event = AuditEvent.objects.filter(action=AuditAction.PRACTICE_SETUP_IMPORTED).latest("id")
    assert event.actor_label == "system (cli)" and event.user is None
    assert event.workspace_id == practice.workspace_id
    exported = AuditEvent.objects.filter(action=AuditAction.PRACTICE_SETUP_EXPORTED).latest("id")
    assert exported.practice_id == practice.pk and exported.actor_label == "system (cli)"


def test_cli_still_imports_a_settings_only_document(owner, summit, payers, tmp_path, capsys):
    practice = summit[0]
    _configure(owner, practice, payers)
    old = tmp_path / "config.json"
    old.write_text(json.dumps(services.config_export(practice)))
    SettingValue.objects.filter(practice=practice).delete()
    call_command("config", "import", "--practice", practice.npi, str(old), "--reason", "restore")
    assert "4 values changed" in capsys.readouterr().out
    event = AuditEvent.objects.filter(action=AuditAction.CONFIG_IMPORTED).latest("id")
    assert event.actor_label == "system (cli)" and event.user is None


def test_cli_errors_exit_1_and_change_nothing(summit, tmp_path, capsys):
    practice = summit[0]
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {"format": "bureau.practice-setup/1", "settings": {"claims.timely_filing_days": 0}}
        )
    )
    with pytest.raises(SystemExit) as exc:
        call_command("config", "import", "--practice", practice.npi, str(bad), "--reason", "try it")
    assert exc.value.code == 1
    assert "$.settings.claims.timely_filing_days: must be at least 1" in capsys.readouterr().err
    bad.write_text("{not json")
    with pytest.raises(SystemExit):
        call_command("config", "import", "--practice", practice.npi, str(bad), "--reason", "try it")
    assert "$: not valid JSON" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        call_command("config", "export", "--practice", "0000000000")
    assert "no single practice" in capsys.readouterr().err
    assert not SettingValue.objects.exists()
