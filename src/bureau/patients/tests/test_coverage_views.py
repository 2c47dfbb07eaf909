"""The coverage pages and the roster upload page, through the browser's HTTP: forms name the
field, writes land with their audit, records of another practice or provider are a 404."""

from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bureau.accounts.models import User
from bureau.audit.models import AuditEvent
from bureau.conftest import verified_client
from bureau.directory.models import Payer
from bureau.patients import roster
from bureau.patients.models import Coverage, Patient
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability

pytestmark = pytest.mark.django_db
SAMPLE = Path(roster.__file__).parent / "data" / "roster_sample.csv"


def practice(n=0):
    return list(Practice.objects.filter(workspace__slug="summit").order_by("id"))[n]


def first(model, p, **filters):
    with rls.practice_scope([p.pk]):
        return model.objects.for_system([p.pk], reason="test").filter(**filters).order_by("id")[0]


def payer(payer_id="BLUPK"):
    return Payer.objects.get(workspace__slug="summit", payer_id=payer_id)


def coverages_of(patient):
    owner = resolve_actor(User.objects.get(username="olivia.owner"))
    return list(
        Coverage.objects.visible_to(owner, Capability.PATIENTS_VIEW)
        .filter(patient=patient)
        .order_by("id")
    )


def form(**overrides):
    values = {
        "payer": str(payer().public_id),
        "member_id": "WEB-100",
        "group_number": "",
        "cob_order": "3",
        "relationship": "19",
        "subscriber_last_name": "Parent",
        "subscriber_first_name": "Lee",
        "subscriber_date_of_birth": "1970-04-04",
        "subscriber_sex": "F",
        "effective_date": "2019-01-01",
        "end_date": "2019-12-31",
    }
    values.update(overrides)
    return values


def test_add_a_policy_from_the_patients_page():
    patient = first(Patient, practice(0))
    client = verified_client("bella.biller")
    page = client.get(reverse("patients:detail", kwargs={"public_id": patient.public_id}))
    new_url = reverse("patients:coverage_new", kwargs={"public_id": patient.public_id})
    assert new_url in page.content.decode()
    before = len(coverages_of(patient))
    response = client.post(new_url, form())
    assert response.status_code == 302, response.content.decode()[:2000]
    added = coverages_of(patient)[-1]
    assert len(coverages_of(patient)) == before + 1
    assert (added.member_id, added.cob_order, added.subscriber_last_name) == (
        "WEB-100",
        3,
        "Parent",
    )
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "coverage.created" and event.user.username == "bella.biller"
    shown = client.get(response["Location"]).content.decode()
    assert "WEB-100" in shown and "Parent, Lee" in shown and "Ended" in shown


@pytest.mark.parametrize(
    ("overrides", "field", "says"),
    [
        ({"end_date": "2018-12-31"}, "end_date", "before the effective date"),
        ({"subscriber_last_name": ""}, "subscriber_last_name", "required"),
        ({"member_id": "WEB\u0661\u0662"}, "member_id", "digits (0-9)"),
        ({"payer": "not-a-payer"}, "payer", "Choose an active payer"),
        ({"relationship": "18"}, "subscriber_first_name", "leave this empty"),
        ({"effective_date": "٢٠١٩-٠١-٠١"}, "effective_date", "digits 0-9"),
        (
            {"subscriber_date_of_birth": "１９７０-０４-０４"},
            "subscriber_date_of_birth",
            "digits 0-9",
        ),
        ({"end_date": "20199-12-31"}, "end_date", "Enter a valid date"),
    ],
)
def test_a_bad_form_is_shown_again_naming_the_field(overrides, field, says):
    patient = first(Patient, practice(0))
    client = verified_client("bella.biller")
    before = (
        len(coverages_of(patient)),
        AuditEvent.objects.exclude(action="patient.viewed").count(),
    )
    response = client.post(
        reverse("patients:coverage_new", kwargs={"public_id": patient.public_id}), form(**overrides)
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and says in " ".join(errors[field]), errors
    assert (
        len(coverages_of(patient)),
        AuditEvent.objects.exclude(action="patient.viewed").count(),
    ) == before


def test_a_payer_of_another_workspace_is_refused_like_a_missing_one():
    from bureau.tenancy.models import Workspace

    harbor = Payer.objects.create(
        workspace=Workspace.objects.get(slug="harbor"), name="Harbor Mutual", payer_id="HBR1"
    )
    patient = first(Patient, practice(0))
    client = verified_client("bella.biller")
    url = reverse("patients:coverage_new", kwargs={"public_id": patient.public_id})
    answers = [
        client.post(url, form(payer=str(value))).context["form"].errors["payer"]
        for value in (harbor.public_id, "00000000-0000-0000-0000-000000000000")
    ]
    assert answers[0] == answers[1]
    assert "Harbor" not in client.get(url).content.decode()


def test_edit_and_end_a_policy():
    patient = first(Patient, practice(0))
    coverage = coverages_of(patient)[0]
    client = verified_client("olivia.owner")
    edit = reverse("patients:coverage_edit", kwargs={"public_id": coverage.public_id})
    page = client.get(edit)
    assert page.status_code == 200 and coverage.member_id in page.content.decode()
    fields = {
        "payer": str(coverage.payer.public_id),
        "member_id": "FIXED-9",
        "group_number": coverage.group_number,
        "cob_order": str(coverage.cob_order),
        "relationship": coverage.relationship,
        "effective_date": coverage.effective_date.isoformat(),
    }
    assert client.post(edit, fields).status_code == 302
    coverage.refresh_from_db()
    assert coverage.member_id == "FIXED-9"
    end = reverse("patients:coverage_end", kwargs={"public_id": coverage.public_id})
    refused = client.post(end, {"end_date": "2000-01-01"})
    assert "before the effective date" in " ".join(refused.context["form"].errors["end_date"])
    assert client.post(end, {"end_date": "2025-06-30"}).status_code == 302
    coverage.refresh_from_db()
    assert coverage.end_date == date(2025, 6, 30)
    assert coverage in coverages_of(patient)  # kept as history
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "patient.updated" and event.detail["ended"] is True


def test_another_practices_policy_is_a_404_like_a_missing_one():
    """The owner of every Summit practice: Harbor's policy answers like a missing one."""
    from bureau.claims.tests import factories

    harbor = Practice.objects.filter(workspace__slug="harbor").order_by("id").first()
    harbor_payer = Payer.objects.create(
        workspace_id=harbor.workspace_id, name="Harbor Mutual", payer_id="HBR1"
    )
    with rls.practice_scope([harbor.pk]):
        foreign = factories.coverage(factories.patient(harbor), harbor_payer)
    missing = "00000000-0000-0000-0000-000000000000"
    client = verified_client("olivia.owner")
    for name in ("patients:coverage_edit", "patients:coverage_end"):
        for public_id in (foreign.public_id, missing):
            url = reverse(name, kwargs={"public_id": public_id})
            assert client.get(url).status_code == 404
            assert client.post(url, {"end_date": "2030-01-01"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.end_date is None
    other_patient = first(Patient, harbor)
    url = reverse("patients:coverage_new", kwargs={"public_id": other_patient.public_id})
    assert client.post(url, form()).status_code == 404


def test_the_roster_page_imports_a_good_file_and_lists_every_problem_of_a_bad_one():
    p = practice(2)
    client = verified_client("olivia.owner")
    url = reverse("patients:import")
    page = client.get(url)
    assert page.status_code == 200 and "account_number" in page.content.decode()
    assert url in client.get(reverse("patients:list")).content.decode()

    def upload(text, name="roster.csv"):
        data = text.encode() if isinstance(text, str) else text
        return client.post(
            url, {"practice": str(p.public_id), "file": SimpleUploadedFile(name, data)}
        )

    bad = (
        SAMPLE.read_text()
        .replace("1958-03-14", "1958-02-30")
        .replace("BLUPK,,BPK-55013", "NOPE,,BPK-55013")
    )
    before = AuditEvent.objects.count()
    response = upload(bad)
    assert response.status_code == 200
    body = response.content.decode()
    assert "2 problems found; nothing was imported" in body
    assert [(e.row, e.column) for e in response.context["result"].errors] == [
        (2, "date_of_birth"),
        (4, "payer_id"),
    ]
    assert AuditEvent.objects.count() == before
    not_utf8 = upload("account_number\n\xe9".encode("latin-1"))
    assert "not UTF-8" in " ".join(not_utf8.context["form"].errors["file"])
    response = upload(SAMPLE.read_text())
    assert response.status_code == 302 and str(p.public_id) in response["Location"]
    owner = resolve_actor(User.objects.get(username="olivia.owner"))
    assert (
        Patient.objects.visible_to(owner, Capability.PATIENTS_VIEW)
        .filter(practice=p, account_number__startswith="RS-")
        .count()
        == 5
    )


def test_an_oversized_roster_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(roster, "MAX_BYTES", 100)
    client = verified_client("olivia.owner")
    response = client.post(
        reverse("patients:import"),
        {
            "practice": str(practice(0).public_id),
            "file": SimpleUploadedFile("big.csv", SAMPLE.read_bytes()),
        },
    )
    assert response.context["form"].errors["file"] == [
        "The file is larger than 100 bytes: split it."
    ]


def test_a_provider_limited_biller_is_told_why_she_imports_no_roster():
    client = verified_client("lina.limited")
    lina = resolve_actor(User.objects.get(username="lina.limited"))
    [(practice_id, _)] = lina.limited_providers().items()
    p = lina.access[practice_id].practice
    response = client.post(
        reverse("patients:import"),
        {"practice": str(p.public_id), "file": SimpleUploadedFile("r.csv", SAMPLE.read_bytes())},
    )
    assert "limited to some providers" in " ".join(response.context["form"].errors["practice"])
