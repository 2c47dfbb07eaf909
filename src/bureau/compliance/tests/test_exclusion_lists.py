"""Importing LEIE files: a full list replaces, an exclusions supplement adds, a reinstatements
supplement takes entries off; the SHA-256 of the bytes; audit in the same transaction; a bad
file keeps nothing; only compliance.manage imports."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from bureau.audit.models import AuditAction, AuditEvent
from bureau.compliance.exclusion_lists import in_force
from bureau.compliance.leie import LeieError
from bureau.compliance.models.screening import ExclusionEntry, ExclusionListImport, ListKind
from bureau.compliance.tests.helpers import (
    EXCLUSIONS,
    FULL,
    REINSTATEMENTS,
    actor_named,
    import_bytes,
    import_file,
    leie_bytes,
    new_events,
    summit,
)
from bureau.tenancy.actor import CapabilityDenied
from bureau.tenancy.models import Workspace

# The demo seed screens its workspace: these tests start from one that never took in a list.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("screening_from_scratch")]

ANN = {"LASTNAME": "FABLE", "FIRSTNAME": "ANN", "DOB": "19700101", "EXCLDATE": "20240101"}
BEN = {"LASTNAME": "FABLE", "FIRSTNAME": "BEN", "NPI": "1999900016", "EXCLDATE": "20240202"}


def names_in_force() -> set[str]:
    return {e.first_name for e in ExclusionEntry.objects.filter(in_force(summit()))}


def test_full_import_stores_typed_entries_with_keys_and_the_files_sha256() -> None:
    data = FULL.read_bytes()
    listing = import_file(FULL)
    assert listing.sha256 == hashlib.sha256(data).hexdigest()
    assert (listing.kind, listing.file_name) == (ListKind.FULL, "leie_synthetic.csv")
    assert (listing.rows_read, listing.rows_added, listing.rows_retired) == (9, 9, 0)
    assert listing.imported_by is None
    holloway = ExclusionEntry.objects.get(workspace=summit(), last_name="HOLLOWAY-QUINN")
    assert (holloway.last_key, holloway.first_key) == ("hollowayquinn", "wade")
    assert holloway.dob == date(1980, 2, 29)
    assert holloway.npi == ""  # 0000000000 in the file
    assert holloway.added_by == listing
    supply = ExclusionEntry.objects.get(workspace=summit(), npi="2999900030")
    assert supply.business_name == "FICTITIOUS DEMO MEDICAL SUPPLY, LLC"
    assert supply.dob is None  # 00000000


def test_a_second_full_list_replaces_the_first_and_keeps_its_rows() -> None:
    first = import_bytes(leie_bytes(ANN, BEN))
    second = import_bytes(leie_bytes(BEN))
    assert (second.rows_added, second.rows_retired) == (1, 2)
    assert names_in_force() == {"BEN"}
    assert ExclusionEntry.objects.filter(added_by=first, retired_by=second).count() == 2


def test_an_exclusions_supplement_adds_and_skips_what_is_listed() -> None:
    import_bytes(leie_bytes(ANN))
    supplement = import_bytes(leie_bytes(ANN, BEN), kind=ListKind.EXCLUSIONS)
    assert (supplement.rows_read, supplement.rows_added, supplement.rows_retired) == (2, 1, 0)
    assert sorted(names_in_force()) == ["ANN", "BEN"]


def test_a_reinstatements_supplement_takes_the_matching_entry_off() -> None:
    import_bytes(leie_bytes(ANN, BEN))
    rows = [
        {**ANN, "REINDATE": "20261115"},
        {**BEN, "REINDATE": "20261115", "EXCLDATE": "20240203"},  # another exclusion date
        {**BEN, "REINDATE": "20261115", "NPI": "0000000000"},  # no NPI: another listing
    ]
    listing = import_bytes(leie_bytes(*rows), kind=ListKind.REINSTATEMENTS)
    assert (listing.rows_read, listing.rows_reinstated, listing.rows_unmatched) == (3, 1, 2)
    assert listing.rows_added == 0
    assert names_in_force() == {"BEN"}
    ann = ExclusionEntry.objects.get(workspace=summit(), first_name="ANN")
    assert ann.reinstated_by == listing
    assert ann.reinstatement_date == date(2026, 11, 15)


def test_a_reinstatement_without_a_date_is_refused() -> None:
    import_bytes(leie_bytes(ANN))
    with pytest.raises(LeieError, match="line 2, column REINDATE: a reinstatement with no date"):
        import_bytes(leie_bytes(ANN), kind=ListKind.REINSTATEMENTS)


def test_the_synthetic_supplements() -> None:
    import_file(FULL)
    added = import_file(EXCLUSIONS, ListKind.EXCLUSIONS)
    reinstated = import_file(REINSTATEMENTS, ListKind.REINSTATEMENTS)
    assert (added.rows_added, reinstated.rows_reinstated, reinstated.rows_unmatched) == (2, 1, 1)
    assert ExclusionEntry.objects.filter(in_force(summit())).count() == 9 + 2 - 1


def test_a_bad_file_keeps_nothing() -> None:
    import_bytes(leie_bytes(ANN))
    before = (ExclusionListImport.objects.count(), ExclusionEntry.objects.count())
    events = AuditEvent.objects.count()
    with pytest.raises(LeieError, match="line 3, column DOB"):
        import_bytes(leie_bytes(BEN, {**ANN, "DOB": "19701332"}))
    assert (ExclusionListImport.objects.count(), ExclusionEntry.objects.count()) == before
    assert AuditEvent.objects.count() == events
    assert names_in_force() == {"ANN"}  # the full list it would have replaced stands


def test_a_full_list_with_no_rows_is_refused_and_the_list_in_force_stands() -> None:
    """A header alone (or a file cut short after it) as the full list would retire every
    entry: the next monthly run would then clear everyone. Refused, nothing kept."""
    import_bytes(leie_bytes(ANN, BEN))
    before = (ExclusionListImport.objects.count(), ExclusionEntry.objects.count())
    events = AuditEvent.objects.count()
    with pytest.raises(LeieError, match="no rows"):
        import_bytes(leie_bytes())
    assert (ExclusionListImport.objects.count(), ExclusionEntry.objects.count()) == before
    assert AuditEvent.objects.count() == events
    assert names_in_force() == {"ANN", "BEN"}
    # A supplement with nothing in it (a quiet month) is still taken in.
    quiet = import_bytes(leie_bytes(), kind=ListKind.EXCLUSIONS)
    assert (quiet.rows_read, quiet.rows_added) == (0, 0)
    assert names_in_force() == {"ANN", "BEN"}


def test_an_import_is_audited_with_its_counts() -> None:
    carla = actor_named("carla.compliance")
    listing = import_bytes(leie_bytes(ANN, BEN), actor=carla, name="UPDATED.csv")
    assert listing.imported_by == carla.user
    event = new_events().get(action=AuditAction.EXCLUSION_LIST_IMPORTED)
    assert event.user == carla.user
    assert event.workspace == summit()
    assert event.record_ids == [str(listing.public_id)]
    assert event.detail["file"] == "UPDATED.csv"
    assert event.detail["sha256"] == listing.sha256
    assert (event.detail["kind"], event.detail["rows_added"]) == ("full", 2)


def test_the_system_import_is_audited_as_the_system() -> None:
    import_bytes(leie_bytes(ANN))
    event = new_events().get(action=AuditAction.EXCLUSION_LIST_IMPORTED)
    assert event.user is None
    assert event.actor_label == "system (exclusion list import)"


@pytest.mark.parametrize("username", ["bella.biller", "sam.supervisor", "cliff.client"])
def test_only_compliance_manage_imports(username: str) -> None:
    with pytest.raises(CapabilityDenied):
        import_bytes(leie_bytes(ANN), actor=actor_named(username))
    assert not ExclusionListImport.objects.exists()


def test_lists_are_per_workspace() -> None:
    harbor = Workspace.objects.get(slug="harbor")
    import_bytes(leie_bytes(ANN, BEN))
    import_bytes(leie_bytes(BEN), workspace=harbor)
    assert sorted(names_in_force()) == ["ANN", "BEN"]  # harbor's full list retired none here
    with pytest.raises(CapabilityDenied):
        import_bytes(leie_bytes(ANN), workspace=harbor, actor=actor_named("carla.compliance"))
