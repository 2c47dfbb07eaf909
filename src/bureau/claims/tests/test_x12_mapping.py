"""Claims in the database → 837P dataclasses → text that pyx12 accepts."""

from datetime import datetime

import pytest

from bureau.claims.batches import _bundles, next_control_number
from bureau.claims.tests import factories
from bureau.claims.x12_mapping import interchange_837, sender_id
from bureau.directory.models import Payer
from bureau.tenancy import rls
from bureau.tenancy.models import Practice
from bureau.x12.tests.oracle import pyx12_errors
from bureau.x12.writer837 import write_837p

pytestmark = pytest.mark.django_db


def summit():
    return list(Practice.objects.filter(workspace__slug="summit").order_by("id"))


def payers(practice):
    return list(Payer.objects.filter(workspace_id=practice.workspace_id).order_by("id"))


def _text(practice, claims):
    bundles = _bundles(None, practice, [c.pk for c in claims])
    interchange = interchange_837(
        workspace=practice.workspace,
        route="simulator",
        bundles=bundles,
        control_number=next_control_number(practice.workspace),
        created_at=datetime(2026, 3, 1, 9, 30),
    )
    return write_837p(interchange)


def test_primary_claims_validate():
    practice = summit()[0]
    medicare, medicaid, commercial = payers(practice)[:3]
    with rls.practice_scope([practice.pk]):
        patient = factories.patient(practice)
        claims = [
            factories.claim(practice, factories.coverage(patient, commercial)),
            factories.claim(practice, factories.coverage(patient, medicaid, relationship="19")),
        ]
        text = _text(practice, claims)
    assert pyx12_errors(text) == []
    assert f"*{sender_id(practice.workspace)}" in text
    assert "CLM*" + claims[0].number in text
    assert "PAT*19" in text  # the dependent's own loop


def test_secondary_claim_names_the_primary_payer():
    practice = summit()[1]
    medicare, medicaid, commercial = payers(practice)[:3]
    with rls.practice_scope([practice.pk]):
        patient = factories.patient(practice)
        factories.coverage(patient, medicare, cob_order=1)
        secondary = factories.coverage(patient, commercial, cob_order=2)
        claim = factories.claim(practice, secondary)
        text = _text(practice, [claim])
    assert pyx12_errors(text) == []
    assert "SBR*S*" in text and "SBR*P*" in text  # 2000B secondary, 2320 primary
    assert medicare.payer_id in text


def test_control_numbers_increase_and_are_unique():
    workspace = summit()[0].workspace
    numbers = [next_control_number(workspace) for _ in range(5)]
    assert numbers == sorted(set(numbers))
    assert all(1 <= n <= 999_999_999 for n in numbers)
