"""CSV imports: a good file is written with one audit event; any bad row writes nothing."""

from decimal import Decimal

import pytest

from bureau.audit.models import AuditEvent
from bureau.directory import imports
from bureau.directory.models import ContractRate, FeeScheduleLine
from bureau.directory.selectors import fee_for
from bureau.directory.tests.helpers import actor, practice_supervisor, practices
from bureau.tenancy.actor import CapabilityDenied

pytestmark = pytest.mark.django_db

GOOD = "code,modifier,amount\n99213,,130.00\n99213,25,140.5\n0001F,,0\nG0439,,180\n0042T,,1\n"


def snapshot():
    return (
        list(
            FeeScheduleLine.objects.values_list(
                "schedule_id", "code", "modifier", "amount"
            ).order_by("id")
        ),
        list(ContractRate.objects.values_list("id", "allowed_amount").order_by("id")),
        AuditEvent.objects.count(),
    )


def test_good_fee_file_replaces_default_with_one_event():
    before = AuditEvent.objects.count()
    result = imports.fee_schedule_import(
        actor=actor("olivia.owner"), practice=None, text=GOOD, reason="2026 fees"
    )
    assert result.ok and (result.created, result.updated) == (2, 2)  # G0439 unchanged
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "fee_schedule.imported" and event.detail["rows"] == 5
    assert fee_for(practices()[1], "99213") == Decimal("130.00")
    assert fee_for(practices()[1], "99214") is None  # replaced, not merged


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("9921,,10", "code"),
        ("99213A,,10", "code"),
        ("W1234,,10", "code"),
        ("1234X,,10", "code"),
        ("99213,2,10", "modifier"),
        ("99213,2$,10", "modifier"),
        ("99213,,-1", "amount"),
        ("99213,,1.234", "amount"),
        ("99213,,abc", "amount"),
        ("99213,,", "amount"),
        ("99213,,NaN", "amount"),
        ("99214,,1\n99214,,2", "code"),  # duplicate within the file
    ],
)
def test_each_kind_of_bad_row_is_reported_and_nothing_changes(line, column):
    before = snapshot()
    text = f"code,modifier,amount\n99202,,10\n{line}\n"
    result = imports.fee_schedule_import(
        actor=actor("olivia.owner"), practice=None, text=text, reason="2026 fees"
    )
    assert not result.ok
    assert any(e.column == column and e.row >= 3 for e in result.errors), result.errors
    assert snapshot() == before


def test_missing_column_is_reported():
    result = imports.fee_schedule_import(
        actor=actor("olivia.owner"),
        practice=None,
        text="code,amount\n99213,1\n",
        reason="2026 fees",
    )
    assert [(e.row, e.column) for e in result.errors] == [(1, "modifier")]


def test_practice_override_import_and_fallback():
    practice = practices()[2]
    imports.fee_schedule_import(
        actor=actor("olivia.owner"),
        practice=practice,
        text="code,modifier,amount\n99215,,250\n",
        reason="client rates",
    )
    assert fee_for(practice, "99215") == Decimal("250.00")
    assert fee_for(practice, "99213") == Decimal("110.00")  # from the default
    assert fee_for(practices()[3], "99215") == Decimal("225.00")


def test_default_fee_import_needs_workspace_manage():
    practice = practices()[0]
    with pytest.raises(CapabilityDenied):
        imports.fee_schedule_import(
            actor=practice_supervisor(practice), practice=None, text=GOOD, reason="2026 fees"
        )
    with pytest.raises(CapabilityDenied):
        imports.fee_schedule_import(
            actor=practice_supervisor(practice, read_only=True, username="ro"),
            practice=practice,
            text=GOOD,
            reason="2026 fees",
        )


def test_contract_rates_upsert():
    practice = practices()[0]
    text = "payer_id,code,modifier,allowed_amount\nMCRDEMO,99213,,95.00\ncardinal?,99213,,1\n"
    bad = imports.contract_rates_import(
        actor=actor("olivia.owner"), practice=practice, text=text, reason="contract"
    )
    assert [(e.row, e.column) for e in bad.errors] == [(3, "payer_id")]
    text = "payer_id,code,modifier,allowed_amount\nMCRDEMO,99213,,95.00\nCRDML,99215,25,200\n"
    before = ContractRate.objects.filter(practice=practice).count()
    result = imports.contract_rates_import(
        actor=actor("olivia.owner"), practice=practice, text=text, reason="contract"
    )
    assert result.ok and (result.created, result.updated) == (1, 1)
    assert ContractRate.objects.filter(practice=practice).count() == before + 1
    assert AuditEvent.objects.order_by("-id").first().action == "contract_rates.imported"


def test_contract_payer_of_other_workspace_is_unknown():
    practice = practices()[0]
    text = "payer_id,code,modifier,allowed_amount\nMCRDEMO,99213,,95.00\n"
    with pytest.raises(CapabilityDenied):
        imports.contract_rates_import(
            actor=actor("hank.harbor"), practice=practice, text=text, reason="contract"
        )
