import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bureau.directory.models import FeeScheduleLine
from bureau.directory.tests.helpers import practices

pytestmark = pytest.mark.django_db

PAGES = [
    "directory:providers",
    "directory:facilities",
    "directory:payers",
    "directory:enrollments",
    "directory:fees",
    "directory:contracts",
]


@pytest.mark.parametrize("name", PAGES)
def test_pages_render(as_user, name):
    client = as_user("olivia.owner")
    response = client.get(reverse(name), {"practice": str(practices()[0].public_id)})
    assert response.status_code == 200


def test_enrollment_matrix_highlights_missing(as_user):
    response = as_user("alex.manager").get(
        reverse("directory:enrollments"), {"practice": str(practices()[0].public_id)}
    )
    assert b"enr-missing" in response.content and b"missing-enrollments" in response.content


@pytest.mark.parametrize("name", [p for p in PAGES if p != "directory:payers"])
def test_forbidden_practice_is_404(as_user, name):
    client = as_user("hank.harbor")
    assert client.get(reverse(name), {"practice": str(practices()[0].public_id)}).status_code == 404
    owner = as_user("olivia.owner")
    assert owner.get(reverse(name), {"practice": str(uuid.uuid4())}).status_code == 404


def test_view_only_user_cannot_open_forms(as_user):
    client = as_user("alex.manager")
    assert client.get(reverse("directory:fees_upload")).status_code == 404
    assert client.get(reverse("directory:providers")).status_code == 200


def test_fee_upload_shows_row_errors_and_writes_nothing(as_user):
    before = FeeScheduleLine.objects.count()
    upload = SimpleUploadedFile("fees.csv", b"code,modifier,amount\n99213,,1.234\nABC,,1\n")
    response = as_user("olivia.owner").post(
        reverse("directory:fees_upload"),
        {"target": "default", "file": upload, "reason": "new fees"},
    )
    assert response.status_code == 200
    assert b"import-errors" in response.content and b"At most 2 decimal places" in response.content
    assert FeeScheduleLine.objects.count() == before


def test_fee_upload_good_file_redirects(as_user):
    upload = SimpleUploadedFile("fees.csv", b"code,modifier,amount\n99213,,101.00\n")
    response = as_user("olivia.owner").post(
        reverse("directory:fees_upload"),
        {"target": "default", "file": upload, "reason": "new fees"},
    )
    assert response.status_code == 302
    assert (
        FeeScheduleLine.objects.filter(
            schedule__practice=None, code="99213", schedule__workspace__slug="summit"
        ).count()
        == 1
    )
