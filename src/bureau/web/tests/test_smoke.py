import pytest

from bureau.conftest import verified_client


@pytest.mark.django_db
def test_home_and_patient_list_render_for_owner():
    client = verified_client("olivia.owner")
    assert client.get("/").status_code == 200
    response = client.get("/patients/")
    assert response.status_code == 200
    assert b"Lakeside Family Medicine" in response.content


@pytest.mark.django_db
def test_models_and_migrations_agree():
    from django.core.management import call_command

    # Exits non-zero (SystemExit) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_pages_before_the_second_factor_show_nothing_of_the_workspace(client):
    from bureau.accounts.models import User
    from bureau.tenancy.models import Practice

    client.force_login(User.objects.get(username="olivia.owner"))  # password only, no TOTP yet
    response = client.get("/accounts/mfa/verify/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "practice-switcher" not in body and "Summit Billing Partners" not in body
    for practice in Practice.objects.all():
        assert practice.name not in body
