"""Migration 0004 keeps every stored category (the old values are all still categories) and
re-derives only the old catch-all `other` from the new table."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from bureau.denials.models import Denial
from bureau.denials.tests.test_views import denials_of
from bureau.remittance.tests.test_views import ingest_scenario
from bureau.tenancy import rls

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("bureau.denials.migrations.0004_categories_history")


def test_other_rows_are_re_derived_and_the_rest_kept():
    s = ingest_scenario(unmatched=False)
    first, second = [d for d in denials_of(s.practice) if d.claim_id == s.denied.pk]
    with rls.practice_scope([s.practice.pk]):
        rows = Denial.objects.for_system([s.practice.pk], reason="test")
        rows.filter(pk=first.pk).update(carc="119", category="other")  # new: frequency
        rows.filter(pk=second.pk).update(carc="185", category="coding")  # old value kept
    state = MigrationLoader(connection).project_state(("denials", "0004_categories_history"))
    MIGRATION.load_default_table(state.apps, None)
    with rls.practice_scope([s.practice.pk]):
        after = {d.pk: d.category for d in denials_of(s.practice)}
    assert after[first.pk] == "frequency" and after[second.pk] == "coding"
