"""Roster import: the sample file goes in whole; any bad row (each reported with its row,
column and reason) and nothing is written; one audit event naming the counts."""

import io
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

from bureau.accounts.models import User
from bureau.audit.models import AuditEvent
from bureau.patients import roster
from bureau.patients.models import Coverage, Patient
from bureau.patients.services import PatientError
from bureau.tenancy.actor import CapabilityDenied, resolve_actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability

pytestmark = pytest.mark.django_db

SAMPLE = Path(roster.__file__).parent / "data" / "roster_sample.csv"
HEADER = "account_number,last_name,first_name,date_of_birth,sex,payer_id,member_id,effective_date"
GOOD = "RX-1,Testrow,Ada,1970-01-02,F,BLUPK,BPK-1,2025-01-01"


def actor(username="bella.biller"):
    return resolve_actor(User.objects.get(username=username))


def practice(n=0):
    return list(Practice.objects.filter(workspace__slug="summit").order_by("id"))[n]


def patients_of(p, a=None):
    a = a or actor("olivia.owner")
    return Patient.objects.visible_to(a, Capability.PATIENTS_VIEW).filter(practice=p)


def csv(*rows, header=HEADER):
    return "\n".join([header, *rows]) + "\n"


def run(text, username="bella.biller", n=0):
    return roster.roster_import(actor=actor(username), practice=practice(n), text=text)


def test_the_sample_roster_goes_in_whole_with_one_audit_event():
    p = practice(0)
    before = (patients_of(p).count(), AuditEvent.objects.count())
    result = run(SAMPLE.read_text())
    assert result.ok, result.errors
    assert (result.patients, result.coverages) == (5, 4)  # RS-0004 has no policy yet
    assert patients_of(p).count() == before[0] + 5
    assert AuditEvent.objects.count() == before[1] + 1
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "patient.created" and event.user.username == "bella.biller"
    assert event.practice_id == p.pk and len(event.record_ids) == 5
    assert {k: event.detail[k] for k in ("import", "patients", "coverages")} == {
        "import": "roster",
        "patients": 5,
        "coverages": 4,
    }
    a = actor("olivia.owner")
    child = patients_of(p).get(account_number="RS-0003")
    [policy] = Coverage.objects.visible_to(a, Capability.PATIENTS_VIEW).filter(patient=child)
    assert (policy.relationship, policy.subscriber_first_name) == ("19", "Jordan")
    assert policy.subscriber_date_of_birth == date(1984, 11, 2) and policy.payer.payer_id == "BLUPK"
    spouse = patients_of(p).get(account_number="RS-0005")
    [policy] = Coverage.objects.visible_to(a, Capability.PATIENTS_VIEW).filter(patient=spouse)
    assert (policy.cob_order, policy.end_date) == (2, date(2026, 6, 30))
    assert spouse.phone == "309 555 0105" and spouse.state == "IL"


def test_one_bad_row_and_nothing_is_written():
    p = practice(0)
    before = (patients_of(p).count(), AuditEvent.objects.count())
    bad = "RX-2,Testrow,Bo,1970-13-02,M,BLUPK,BPK-2,2025-01-01"
    result = run(csv(GOOD, bad, "RX-3,Testrow,Cy,1971-01-02,M,BLUPK,BPK-3,2025-01-01"))
    assert [(e.row, e.column) for e in result.errors] == [(3, "date_of_birth")]
    assert "not a date on the calendar" in result.errors[0].message
    assert (patients_of(p).count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize(
    ("row", "column", "says"),
    [
        ("RX-1,Testrow,Ada,\uff11\uff19\uff17\uff10-01-02,F,BLUPK,BPK-1,2025-01-01",
         "date_of_birth", "digits 0-9"),
        ("RX-1,Testrow,Ada,1850-01-02,F,BLUPK,BPK-1,2025-01-01", "date_of_birth", "before 1900"),
        ("RX-1,Testrow,Ada,2999-01-02,F,BLUPK,BPK-1,2025-01-01", "date_of_birth", "future"),
        ("RX-1,Testrow,Ada,1970-01-02,F,BLUPK,BPK-1,2150-01-01", "effective_date", "a year"),
        ("RX-1,Testrow,Ada,1970-01-02,F,NOPAYER,BPK-1,2025-01-01", "payer_id", "No active payer"),
        ("RX-1,Testrow,Ada,1970-01-02,F,BLUPK,BPK\u0661\u0662,2025-01-01", "member_id", "0-9"),
        ("RX-1,Testrow,Ada,1970-01-02,F,BLUPK,,2025-01-01", "member_id", "Required"),
        ("RX-1,Testrow,Ada,1970-01-02,F,BLUPK,BPK-1,", "effective_date", "Required"),
        ("RX-1,Testrow,Ada,1970-01-02,X,BLUPK,BPK-1,2025-01-01", "sex", "F, M or U"),
        ("RX 1,Testrow,Ada,1970-01-02,F,BLUPK,BPK-1,2025-01-01", "account_number", "dashes"),
        (",Testrow,Ada,1970-01-02,F,BLUPK,BPK-1,2025-01-01", "account_number", "Required"),
        ("RX-1,,Ada,1970-01-02,F,BLUPK,BPK-1,2025-01-01", "last_name", "Required"),
        ("RX-1,Testrow,Ada,02/30/1970,F,BLUPK,BPK-1,2025-01-01", "date_of_birth", "calendar"),
    ],
)  # fmt: skip
def test_each_bad_cell_is_named_by_row_and_column(row, column, says):
    result = run(csv(GOOD.replace("RX-1", "RX-0"), row))
    assert [(e.row, e.column) for e in result.errors] == [(3, column)], result.errors
    assert says in result.errors[0].message


def test_the_optional_columns_are_checked_too():
    header = HEADER + ",postal_code,state,relationship,payer_name,cob_order"
    rows = [
        GOOD + ",6270\u0661,IL,,,",  # an Arabic-Indic digit in the ZIP
        GOOD.replace("RX-1", "RX-2") + ",62701,ZZ,,,",
        GOOD.replace("RX-1", "RX-3") + ",62701,IL,child,,",  # no subscriber
        GOOD.replace("RX-1", "RX-4") + ",62701,IL,,Cardinal Mutual (demo),",  # BLUPK's not
        GOOD.replace("RX-1", "RX-5") + ",62701,IL,,,fourth",
    ]
    result = run(csv(*rows, header=header))
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "postal_code"),
        (3, "state"),
        (4, "subscriber_first_name"),
        (4, "subscriber_last_name"),
        (4, "subscriber_date_of_birth"),
        (5, "payer_name"),
        (6, "cob_order"),
    ]


def test_duplicate_account_numbers_are_refused_in_the_file_and_in_the_practice():
    p = practice(0)
    existing, second = patients_of(p).order_by("id")[:2]
    rows = [
        GOOD,
        GOOD.replace("Ada", "Bea").replace("BPK-1", "BPK-9"),  # RX-1 again
        GOOD.replace("RX-1", existing.account_number),
        # The practice's account number in another case is the same account (the database
        # refuses it too: its constraint is on the upper-cased number).
        GOOD.replace("RX-1", second.account_number.lower()).replace("BPK-1", "BPK-7"),
    ]
    assert second.account_number.lower() != second.account_number
    before = patients_of(p).count()
    result = run(csv(*rows))
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "account_number"),
        (4, "account_number"),
        (5, "account_number"),
    ]
    assert result.errors[0].message == "Duplicate of row 2."
    assert "already has this account number" in result.errors[1].message
    assert patients_of(p).count() == before
    # The same account number in another practice is another patient: it goes in.
    assert run(csv(GOOD.replace("RX-1", existing.account_number)), n=1).ok


@pytest.mark.parametrize(
    ("text", "column", "says"),
    [
        ("", "", "The file is empty"),
        (HEADER + "\n", "", "no data rows"),
        ("account_number,last_name\nRX-1,Testrow\n", "first_name, date_of_birth, sex", "Missing"),
        (csv(GOOD + ",extra", header=HEADER + ",shoe_size"), "shoe_size", "Unknown column"),
        (csv(GOOD + ",1"), "", "More values than header columns"),
    ],
)
def test_a_malformed_file_is_refused_with_a_reason(text, column, says):
    result = run(text)
    assert not result.ok
    assert result.errors[0].column == column and says in result.errors[0].message


def test_row_count_is_capped(monkeypatch):
    monkeypatch.setattr(roster, "MAX_ROWS", 2)
    rows = [GOOD.replace("RX-1", f"RX-{n}") for n in range(3)]
    result = run(csv(*rows))
    assert [(e.row, e.message) for e in result.errors] == [
        (4, "More than 2 patients: split the file.")
    ]
    assert run(csv(*rows[:2])).ok


def test_who_may_import():
    text = csv(GOOD)
    with pytest.raises(CapabilityDenied):  # alex.manager holds practice 5 read-only
        run(text, "alex.manager", n=5)
    with pytest.raises(CapabilityDenied):  # demographics masked
        run(text, "dan.denials")
    with pytest.raises(CapabilityDenied):  # not his practice
        run(text, "cliff.client", n=1)


def test_a_provider_limited_biller_registers_no_roster():
    a = actor("lina.limited")
    [(practice_id, _)] = a.limited_providers().items()
    p = a.access[practice_id].practice
    with pytest.raises(PatientError, match="limited to some providers"):
        roster.roster_import(actor=a, practice=p, text=csv(GOOD))


def test_the_command_imports_or_prints_every_problem():
    p = practice(0)
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "patients", "import", "--practice", p.code, "--user", "bella.biller", str(SAMPLE),
        stdout=out, stderr=err,
    )  # fmt: skip
    assert f"imported 5 patients and 4 coverages into {p.code}" in out.getvalue()
    # The same file again: every account number is taken; nothing written, exit status 1.
    before = patients_of(p).count()
    with pytest.raises(SystemExit) as exit_:
        call_command(
            "patients", "import", "--practice", p.code, "--user", "bella.biller", str(SAMPLE),
            stdout=out, stderr=err,
        )  # fmt: skip
    assert exit_.value.code == 1
    assert "row 2, account_number: The practice already has" in err.getvalue()
    assert "5 problem(s); nothing was imported" in err.getvalue()
    assert patients_of(p).count() == before
