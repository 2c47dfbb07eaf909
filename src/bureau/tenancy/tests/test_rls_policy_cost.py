"""The RLS policy reads its setting once per query, not once per row (issue 12).

`current_setting` is only stable, so a predicate calling it inline parses the practice list
again for every row the policy filters: a count of the claims list spent most of its time there.
Wrapped in a scalar subquery it is an InitPlan, computed once; what it admits is unchanged
(test_rls.py)."""

from __future__ import annotations

import pytest
from django.db import connection

from bureau.conftest import ON_POSTGRES
from bureau.tenancy import rls

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="row-level security exists on PostgreSQL only"),
    pytest.mark.django_db,
]


@pytest.mark.parametrize("table", rls.phi_tables())
def test_every_phi_policy_parses_the_practice_list_once_per_query(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT string_agg(id::text, ',') FROM tenancy_practice")
        rls.activate(int(v) for v in cursor.fetchone()[0].split(","))
        cursor.execute(
            f"EXPLAIN (COSTS OFF) SELECT count(*) FROM {connection.ops.quote_name(table)}"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "InitPlan" in plan, plan
    # No row filter calls current_setting: only the InitPlan does.
    filters = [line for line in plan.splitlines() if "Filter:" in line or "Cond:" in line]
    assert filters and not any("current_setting" in line for line in filters), plan
