"""The practice setup document: export → import onto a new practice → export is byte-identical;
a re-import changes nothing; copy-from-sibling lists, then writes; every write audited."""

import json

import pytest

from bureau.audit.models import AuditAction, AuditEvent
from bureau.configuration import services
from bureau.configuration.models import SettingValue
from bureau.configuration.practice_setup import COPY_SECTIONS, setup_document, setup_export
from bureau.configuration.setup_apply import setup_apply, setup_copy
from bureau.configuration.setup_parse import SetupInvalid, setup_read
from bureau.directory import facilities, imports
from bureau.directory import services as directory
from bureau.directory.models import (
    ContractRate,
    Enrollment,
    FeeSchedule,
    Payer,
    Provider,
    ServiceFacility,
)
from bureau.directory.npi import make_npi
from bureau.tenancy import practices
from bureau.tenancy.actor import resolve_actor

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


def new_practice(owner, n=1):
    data = practices.PracticeData(
        name=f"New Client {n}",
        code=f"NEW{n}",
        npi=make_npi(f"19876543{n}"),
        tax_id="12-3456789",
        address_line1="1 Main St",
        city="Springfield",
        state="IL",
        postal_code="62701-1234",
        timezone="America/Chicago",
    )
    practice = practices.practice_create(actor=owner, data=data, reason="new client signed")
    return practice, resolve_actor(owner.user)  # the actor as it is now, seeing the practice


def hand_built(owner, payers):
    """A practice with one of everything the document carries, made through the pages' services."""
    practice, owner = new_practice(owner, 1)
    why = "onboarding the client"
    facilities.facility_create(
        actor=owner,
        practice=practice,
        data=facilities.FacilityData(
            "Main Street Clinic",
            "12 Main St",
            "Springfield",
            "IL",
            "627011234",
            npi=make_npi("112233445"),
        ),
        reason=why,
    )
    closed = facilities.facility_create(
        actor=owner,
        practice=practice,
        data=facilities.FacilityData("Annex", "14 Elm St", "Springfield", "il", "62701-9999"),
        reason=why,
    )
    facilities.facility_set_active(actor=owner, facility=closed, active=False, reason=why)
    doctor = directory.provider_create(
        actor=owner,
        practice=practice,
        data=directory.ProviderData(
            "Dr Ana Ruiz",
            make_npi("155566677"),
            last_name="Ruiz",
            first_name="Ana",
            taxonomy="207q00000x",
        ),
        reason=why,
    )
    directory.provider_create(
        actor=owner,
        practice=practice,
        data=directory.ProviderData(
            "Ruiz Family Group", make_npi("255566677"), kind="organization", is_active=False
        ),
        reason=why,
    )
    from datetime import date

    directory.enrollment_change(
        actor=owner,
        provider=doctor,
        payer=payers[0],
        data=directory.EnrollmentData("active", date(2026, 1, 1), None, date(2029, 1, 1)),
        reason=why,
    )
    directory.enrollment_change(
        actor=owner,
        provider=doctor,
        payer=payers[1],
        data=directory.EnrollmentData("pending"),
        reason=why,
    )
    assert imports.fee_schedule_import(
        actor=owner,
        practice=practice,
        reason=why,
        text="code,modifier,amount\n99213,,125.00\n99213,25,140.5\n90471,,20\n",
    ).ok
    assert imports.contract_rates_import(
        actor=owner,
        practice=practice,
        reason=why,
        text=f"payer_id,code,modifier,allowed_amount\n{payers[0].payer_id},99213,,88.10\n"
        f"{payers[1].payer_id},99213,25,91\n",
    ).ok
    for key, value, payer in [
        ("claims.timely_filing_days", 120, None),
        ("era.autopost_tolerance", "1.25", None),
        ("scrub.custom_rules", RULES, None),
        ("scrub.custom_rules", RULES, payers[0]),
        ("followup.interval_days", 21, payers[1]),
    ]:
        services.setting_set(
            actor=owner, practice=practice, key=key, value=value, payer=payer, reason=why
        )
    return practice, owner


def test_document_names_everything_by_natural_key(owner, payers):
    practice, owner = hand_built(owner, payers)
    doc = setup_document(practice)
    assert doc["format"] == "bureau.practice-setup/1"
    assert [f["name"] for f in doc["facilities"]] == ["Annex", "Main Street Clinic"]
    assert doc["facilities"][1]["postal_code"] == "627011234"  # kept as written
    assert doc["facilities"][0]["is_active"] is False
    assert [p["npi"] for p in doc["providers"]] == sorted(p["npi"] for p in doc["providers"])
    assert doc["fee_schedule"] == [
        {"code": "90471", "modifier": "", "amount": "20.00"},
        {"code": "99213", "modifier": "", "amount": "125.00"},
        {"code": "99213", "modifier": "25", "amount": "140.50"},
    ]
    assert doc["settings"]["era.autopost_tolerance"] == "1.25"
    assert doc["payer_settings"][payers[0].payer_id] == {"scrub.custom_rules": RULES}
    assert set(doc["payers"]) == {payers[0].payer_id, payers[1].payer_id}
    assert doc["payers"][payers[0].payer_id]["route"] == payers[0].route
    assert "npi" not in json.dumps(doc["settings"])  # no practice identity anywhere


def round_trip(owner, source, n):
    text = setup_export(actor=owner, practice=source)
    target, owner = new_practice(owner, n)
    plan = setup_apply(
        actor=owner, practice=target, document=setup_read(text), reason="set up the new client"
    )
    assert plan.changes
    assert setup_export(actor=owner, practice=target) == text
    again = setup_apply(
        actor=owner, practice=target, document=setup_read(text), reason="import it again"
    )
    assert again.summary() == "0 changes"
    return text, target, plan, owner


def test_round_trip_hand_built_practice_is_byte_identical(owner, payers):
    source, owner = hand_built(owner, payers)
    text, target, plan, owner = round_trip(owner, source, 2)
    assert plan.counts()["providers"] == {"add": 2}
    assert plan.counts()["fee_schedule"] == {"add": 4}  # the schedule and its three lines
    assert ServiceFacility.objects.get(practice=target, name="Annex").is_active is False
    assert FeeSchedule.objects.get(practice=target).name == f"{target.name} fees"
    assert ContractRate.objects.filter(practice=target).count() == 2
    event = (
        AuditEvent.objects.filter(action=AuditAction.PRACTICE_SETUP_IMPORTED, practice=target)
        .order_by("id")
        .first()
    )
    assert event.user_id == owner.user.pk and event.reason == "set up the new client"
    assert event.detail["changes"] == len(plan.changes)
    assert event.detail["counts"]["enrollments"] == {"add": 2}
    assert AuditEvent.objects.filter(action=AuditAction.PRACTICE_SETUP_EXPORTED).count() == 2


def test_round_trip_seeded_practice_is_byte_identical(owner, summit):
    source = summit[0]
    assert Provider.objects.filter(practice=source).exists()
    text, target, _, owner = round_trip(owner, source, 3)
    doc = json.loads(text)
    assert doc["providers"] and doc["enrollments"]
    assert Enrollment.objects.filter(practice=target).count() == len(doc["enrollments"])


def test_import_replaces_prices_and_settings_upserts_the_rest(owner, payers):
    source, owner = hand_built(owner, payers)
    doc = setup_document(source)
    doc["fee_schedule"] = doc["fee_schedule"][:1]
    doc["contract_rates"] = []
    doc["settings"] = {"claims.timely_filing_days": 90}
    doc["payer_settings"] = {}
    doc["providers"][0]["name"] = "Dr Ana Ruiz-Lopez"
    doc["facilities"] = []
    plan = setup_apply(actor=owner, practice=source, document=doc, reason="trim the setup")
    assert FeeSchedule.objects.get(practice=source).lines.count() == 1
    assert not ContractRate.objects.filter(practice=source).exists()
    assert dict(SettingValue.objects.filter(practice=source).values_list("key", "value")) == {
        "claims.timely_filing_days": 90
    }
    assert Provider.objects.filter(practice=source, name="Dr Ana Ruiz-Lopez").exists()
    assert ServiceFacility.objects.filter(practice=source).count() == 2  # never deleted
    assert {"change"} == set(plan.counts()["providers"])


def test_dry_run_plans_and_writes_nothing(owner, payers):
    source, owner = hand_built(owner, payers)
    text = setup_export(actor=owner, practice=source)
    target, owner = new_practice(owner, 4)
    events = AuditEvent.objects.count()
    plan = setup_apply(
        actor=owner, practice=target, document=setup_read(text), reason="", dry_run=True
    )
    assert plan.counts()["providers"] == {"add": 2}
    assert not Provider.objects.filter(practice=target).exists()
    assert AuditEvent.objects.count() == events


def test_copy_from_sibling_lists_then_applies(owner, payers):
    sibling, owner = hand_built(owner, payers)
    target, owner = new_practice(owner, 5)
    preview = setup_copy(actor=owner, source=sibling, practice=target, reason="", dry_run=True)
    sections = {c.section for c in preview.changes}
    assert sections == {"settings", "payer_settings", "fee_schedule", "contract_rates"}
    assert "scrub.custom_rules" in [c.key for c in preview.changes]
    assert not FeeSchedule.objects.filter(practice=target).exists()
    plan = setup_copy(actor=owner, source=sibling, practice=target, reason="same as sibling")
    assert [str(c) for c in plan.changes] == [str(c) for c in preview.changes]
    assert setup_document(target, COPY_SECTIONS) == setup_document(sibling, COPY_SECTIONS)
    assert not Provider.objects.filter(practice=target).exists()  # people are not copied
    event = AuditEvent.objects.get(action=AuditAction.PRACTICE_SETUP_COPIED, practice=target)
    assert event.detail["from"] == str(sibling.public_id)
    assert event.detail["changes"] == len(plan.changes)
    again = setup_copy(actor=owner, source=sibling, practice=target, reason="same as sibling")
    assert again.summary() == "0 changes"


def test_missing_payers_are_named_and_nothing_written(owner, payers):
    doc = setup_document(hand_built(owner, payers)[0])
    target, owner = new_practice(owner, 6)
    pid = payers[0].payer_id
    Payer.objects.filter(pk=payers[0].pk).update(payer_id="RENAMED")
    with pytest.raises(SetupInvalid) as exc:
        setup_apply(actor=owner, practice=target, document=doc, reason="set up the client")
    text = str(exc.value)
    assert f"$.contract_rates[0].payer_id: no payer '{pid}' ({payers[0].name})" in text
    assert f"$.payers: not in this workspace (add them first): '{pid}' ({payers[0].name})" in text
    assert not Provider.objects.filter(practice=target).exists()


def test_route_that_differs_is_told_not_written(owner, payers):
    doc = setup_document(hand_built(owner, payers)[0])
    pid = payers[0].payer_id
    doc["payers"][pid]["route"] = "sftp" if payers[0].route != "sftp" else "folder"
    target, owner = new_practice(owner, 7)
    plan = setup_apply(actor=owner, practice=target, document=doc, reason="set up the client")
    assert any(pid in note and "not changed" in note for note in plan.notes)
    assert Payer.objects.get(pk=payers[0].pk).route == payers[0].route


def test_cli_export_dry_run_and_import_onto_a_new_practice(owner, payers, tmp_path, capsys):
    from django.core.management import call_command

    source, owner = hand_built(owner, payers)
    target, owner = new_practice(owner, 9)
    out = tmp_path / "setup.json"
    call_command("config", "export", "--practice", source.npi, "--output", str(out))
    capsys.readouterr()
    call_command("config", "import", "--practice", target.npi, str(out), "--dry-run")
    printed = capsys.readouterr().out
    assert "providers: add " + source.providers.order_by("npi").first().npi in printed
    assert f"{target.npi} would change" in printed
    assert not Provider.objects.filter(practice=target).exists()
    with pytest.raises(SystemExit):  # applying needs a reason
        call_command("config", "import", "--practice", target.npi, str(out))
    assert "Give a reason" in capsys.readouterr().err
    call_command(
        "config", "import", "--practice", target.npi, str(out), "--reason", "new client setup"
    )
    assert f"{target.npi} imported setup:" in capsys.readouterr().out
    again = tmp_path / "again.json"
    call_command("config", "export", "--practice", target.npi, "--output", str(again))
    assert again.read_bytes() == out.read_bytes()
    call_command("config", "import", "--practice", target.npi, str(out), "--reason", "again")
    assert "imported setup: 0 changes" in capsys.readouterr().out
    event = AuditEvent.objects.filter(action=AuditAction.PRACTICE_SETUP_IMPORTED).latest("id")
    assert event.actor_label == "system (cli)" and event.detail["changes"] == 0


def test_cli_refusal_names_paths_and_exits_1(owner, payers, tmp_path, capsys):
    from django.core.management import call_command

    source, owner = hand_built(owner, payers)
    doc = setup_document(source)
    doc["providers"][0]["npi"] = "١٢٣٤٥٦٧٨٩٣"
    doc["fee_schedule"][0]["amount"] = "1e400"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    events = AuditEvent.objects.count()
    with pytest.raises(SystemExit) as exc:
        call_command("config", "import", "--practice", source.npi, str(bad), "--reason", "x y z")
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "$.providers[0].npi:" in err and "$.fee_schedule[0].amount:" in err
    assert AuditEvent.objects.count() == events
