import pytest

from bureau.conftest import verified_client


@pytest.mark.django_db
def test_home_and_patient_list_render_for_owner():
    client = verified_client("olivia.owner")
    assert client.get("/").status_code == 200
    response = client.get("/patients/")
    assert response.status_code == 200
    assert b"Lakeside Family Medicine" in response.content
