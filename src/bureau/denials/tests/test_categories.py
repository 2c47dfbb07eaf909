"""H13 denial categories as data: the shipped table (dated rules, group/RARC refinements), the
loader (our file and X12's published CARC list), workspace overrides, and group codes (CR is not
a 5010 group; reversals are CLP02 = 22)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import CommandError, call_command

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.denials import codes
from bureau.denials.categories import (
    DEFAULT_FILE,
    DENIAL_GROUPS,
    CategoryTable,
    CodeFileError,
    is_denial_reason,
    parse_rules,
)
from bureau.denials.models import CarcCategory, CategoryOverride, Denial, DenialEvent, DenialStatus
from bureau.denials.models import DenialCategory as C
from bureau.remittance.tests import builders as b
from bureau.remittance.tests.test_posting import ingest, rows
from bureau.tenancy.actor import CapabilityDenied, resolve_actor

pytestmark = pytest.mark.django_db


def actor(username: str):
    found = resolve_actor(User.objects.get(username=username))
    assert found is not None
    return found


def test_shipped_table_is_loaded_and_refined_by_group_and_rarc():
    assert CarcCategory.objects.count() == len(parse_rules(DEFAULT_FILE.read_text()))
    table = CategoryTable.load()
    assert table.category("50", "CO") == C.MEDICAL_NECESSITY
    assert table.category("16", "CO") == C.MISSING_INFORMATION
    assert table.category("16", "CO", ["M51"]) == C.CODING  # a RARC refines the CARC
    assert table.category("119", "CO") == C.FREQUENCY
    assert table.category("B7", "CO") == C.CREDENTIALING
    assert table.category("109", "CO") == C.COORDINATION_OF_BENEFITS
    assert table.category("ZZZ", "CO") == C.OTHER
    CarcCategory.objects.create(code="50", group_code="OA", category=C.CODING)
    table = CategoryTable.load()
    assert table.category("50", "OA") == C.CODING and table.category("50", "CO") != C.CODING


def test_a_code_stopped_before_the_denial_date_is_not_used():
    CarcCategory.objects.create(
        code="299", start=date(2020, 1, 1), stop=date(2023, 12, 31), category=C.CODING
    )
    table = CategoryTable.load()
    assert table.category("299", "CO", on=date(2023, 6, 1)) == C.CODING
    assert table.category("299", "CO", on=date(2024, 2, 1)) == C.OTHER  # stopped
    assert table.category("299", "CO", on=date(2019, 12, 31)) == C.OTHER  # not yet started


def test_contractual_and_cr_are_not_denials():
    """CO-45 is the underpayment check's, not a denial; CR is not a 5010 group code."""
    assert not is_denial_reason("CO", "45") and is_denial_reason("CO", "50")
    assert "CR" not in DENIAL_GROUPS and not is_denial_reason("CR", "50")


def test_workspace_override_wins_for_that_workspace_only_and_is_audited():
    owner = actor("olivia.owner")
    found = codes.override_set(
        actor=owner, carc="50", group_code="", category=C.CODING, reason="our payer mix"
    )
    assert CategoryTable.load(owner.workspace.pk).category("50", "CO") == C.CODING
    assert CategoryTable.load().category("50", "CO") == C.MEDICAL_NECESSITY  # default kept
    event = AuditEvent.objects.filter(action=AuditAction.SETTING_CHANGED).latest("id")
    assert event.reason == "our payer mix" and event.detail["category"] == [None, "coding"]
    assert event.record_ids == [str(found.pk)] or event.record_ids == [found.pk]
    codes.override_set(actor=owner, carc="50", group_code="CO", category=C.BUNDLING, reason="r")
    assert CategoryTable.load(owner.workspace.pk).category("50", "CO") == C.BUNDLING
    assert CategoryTable.load(owner.workspace.pk).category("50", "OA") == C.CODING
    codes.override_remove(actor=owner, override_id=found.pk, reason="back to default")
    assert CategoryTable.load(owner.workspace.pk).category("50", "OA") == C.MEDICAL_NECESSITY


@pytest.mark.parametrize(
    ("carc", "group", "category", "reason", "names"),
    [
        ("", "", "coding", "r", "CARC"),
        ("50!", "", "coding", "r", "CARC"),
        ("123456", "", "coding", "r", "CARC"),
        ("50", "CR", "coding", "r", "Group code"),
        ("50", "", "bogus", "r", "Category"),
        ("50", "", "coding", "  ", "Reason"),
    ],
)
def test_bad_override_input_names_the_field(carc, group, category, reason, names):
    with pytest.raises(codes.OverrideError, match=names):
        codes.override_set(
            actor=actor("olivia.owner"), carc=carc, group_code=group, category=category,
            reason=reason,
        )  # fmt: skip
    assert not CategoryOverride.objects.exists()


def test_override_needs_setup_manage():
    with pytest.raises(CapabilityDenied):
        codes.override_set(
            actor=actor("dan.denials"), carc="50", group_code="", category="coding", reason="r"
        )


def test_loader_reads_x12_published_list_keeping_categories(tmp_path):
    published = tmp_path / "carc.csv"
    published.write_text(
        "Code,Description,Start Date,Last Modified,Stop Date\n"
        '50,"Not medically necessary, per payer",01/01/1995,07/01/2017,\n'
        "777,A new code,03/01/2026,,\n"
        "29,Time limit expired,01/01/1995,,12/31/2025\n"
    )
    call_command("denial_codes", "load", str(published))
    fifty = CarcCategory.objects.get(code="50")
    assert fifty.category == C.MEDICAL_NECESSITY and fifty.start == date(1995, 1, 1)
    assert CarcCategory.objects.get(code="777").category == C.OTHER
    assert CarcCategory.objects.get(code="29").stop == date(2025, 12, 31)
    table = CategoryTable.load()
    assert table.category("29", "CO", on=date(2026, 1, 5)) == C.OTHER
    call_command("denial_codes", "load")  # the shipped file replaces the table again
    assert CarcCategory.objects.filter(code="777").count() == 0


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("", "empty"),
        ("foo,bar\n1,2\n", "Code and Description"),
        ("Code,Description,Start Date\n50,x,13/45/2020\n", "Row 2"),
        ("code,description,category\n50,x,nonsense\n", "Row 2: category"),
        ("code,group,description\n50,CR,x\n", "Row 2: group"),
    ],
)
def test_loader_rejects_bad_files_with_a_clear_message(tmp_path, text, names):
    with pytest.raises(CodeFileError, match=names):
        parse_rules(text)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(text.encode() or b"")
    with pytest.raises(CommandError):
        call_command("denial_codes", "load", str(bad))
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("denial_codes", "load", str(tmp_path / "missing.csv"))


def test_override_command_sets_the_category(capsys):
    call_command("denial_codes", "override", "olivia.owner", "50", "coding", "--reason", "x")
    assert CategoryOverride.objects.get().category == C.CODING
    with pytest.raises(CommandError, match="may not manage"):
        call_command("denial_codes", "override", "dan.denials", "50", "coding", "--reason", "x")
    with pytest.raises(CommandError, match="Category"):
        call_command("denial_codes", "override", "olivia.owner", "50", "nope", "--reason", "x")


def test_era_denials_take_the_workspace_override():
    practice = b.summit()[0]
    payer = b.payer_of(practice)
    b.autopost(practice)
    codes.override_set(
        actor=actor("olivia.owner"), carc="50", group_code="CO", category=C.CODING, reason="r"
    )
    claim = b.submitted_claims(practice, payer)[0]
    one, two = b.lines_of(claim)
    denied = b.paid_claim(
        claim,
        [b.svc(one, "0", ("CO", "50", "110.00")), b.svc(two, "0", ("CO", "16", "12.00"))],
        status="4",
    )
    ingest(practice, b.remittance(practice, payer, [denied]))
    assert [d.category for d in rows(Denial, practice)] == [C.CODING, C.MISSING_INFORMATION]


def test_reversal_is_clp02_22_and_a_cr_group_is_no_denial():
    """A payer's reversal (CLP02 = 22, CO reasons negated) closes the open denials and makes
    none; a CAS under the retired CR group does not deny a line."""
    practice = b.summit()[0]
    payer = b.payer_of(practice)
    b.autopost(practice)
    first, second = b.submitted_claims(practice, payer, count=2)
    one, _ = b.lines_of(first)
    denied = b.paid_claim(first, [b.svc(one, "0", ("CO", "50", "110.00"))], status="4")
    ingest(practice, b.remittance(practice, payer, [denied]))
    [original] = rows(Denial, practice)
    ingest(practice, b.remittance(practice, payer, [b.reversal_of(denied)]))
    [after] = rows(Denial, practice)
    assert after.pk == original.pk and after.status == DenialStatus.REVERSED
    [event] = rows(DenialEvent, practice)  # the reversal shows in the denial's history
    assert event.denial_id == original.pk and event.changes == {"status": ["open", "reversed"]}
    assert "CLP02 = 22" in event.note and event.user_id is None
    line, _ = b.lines_of(second)
    cr_only = b.paid_claim(second, [b.svc(line, "0", ("CR", "50", "110.00"))], status="1")
    ingest(practice, b.remittance(practice, payer, [cr_only]))
    assert len(rows(Denial, practice)) == 1


def test_category_page_lists_the_table_and_sets_an_override():
    from django.urls import reverse

    from bureau.conftest import verified_client

    url = reverse("denials:categories")
    owner = verified_client("olivia.owner")
    body = owner.get(url).content.decode()
    assert 'id="category-table"' in body and "Benefit maximum for this period" in body
    response = owner.post(url, {"carc": "50", "category": "coding", "reason": ""})
    assert response.status_code == 200 and "Reason: say why" in response.content.decode()
    assert not CategoryOverride.objects.exists()
    response = owner.post(
        url, {"carc": "50", "group_code": "CO", "category": "coding", "reason": "payer mix"}
    )
    assert response.status_code == 302
    body = owner.get(url).content.decode()
    overrides = body[body.index('id="category-overrides"') : body.index('id="category-table"')]
    assert "payer mix" in overrides and "Coding" in overrides
    found = CategoryOverride.objects.get()
    response = owner.post(url, {"action": "remove", "override": "x", "reason": "r"})
    assert "Choose an override" in response.content.decode()
    response = owner.post(url, {"action": "remove", "override": str(found.pk), "reason": "r"})
    assert response.status_code == 302 and not CategoryOverride.objects.exists()
    assert verified_client("dan.denials").get(url).status_code == 404  # no setup.view
