"""The authorization matrix for a grant limited to some providers (the demo's `lina.limited`).

Every URL is discovered as in `test_authorization_matrix`; the records probed are, in her
practice, one of her providers' and one of another provider's for each kind (patient, claim,
ERA, ERA exception, denial), plus the ones of other practices. Hers open, the others answer 404
exactly like a missing record, whole files (ERA and 837 downloads) answer 404 for her, and no
response, list or page shows an identifier of another provider's patients, claims or payments.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bureau.claims.models import Batch, Claim, Encounter
from bureau.conftest import verified_client
from bureau.denials.models import Denial
from bureau.patients.models import Patient
from bureau.remittance.models import Era, IngestJob
from bureau.tenancy import rls
from bureau.tenancy.models import Grant
from bureau.tenancy.tests.provider_world import (
    ProviderWorld,
    build,
    denials_of,
    exceptions_of,
    system,
)
from bureau.web.tests import test_authorization_matrix as matrix

pytestmark = pytest.mark.django_db
# URLs that serve a whole file of the practice (every provider's patients): never hers.
WHOLE_FILES = {"eras:download", "batches:download"}
# A practice's whole month in figures (every provider's): never hers, page or PDF.
WHOLE_PRACTICE = {"reports:monthly_preview", "reports:monthly_pdf"}


def _foreign(pw: ProviderWorld) -> list[str]:
    """Identifiers of her practice she must never read: other providers' patients, claims and
    the ERA that pays only them."""
    practice, allowed = pw.practice, pw.allowed
    with rls.practice_scope([practice.pk]):
        mine = set(
            system(Encounter, practice)
            .filter(rendering_provider_id__in=allowed)
            .values_list("pk", flat=True)
        ) | set(
            system(Encounter, practice)
            .filter(billing_provider_id__in=allowed)
            .values_list("pk", flat=True)
        )
        my_patients = set(
            system(Encounter, practice).filter(pk__in=mine).values_list("patient_id", flat=True)
        )
        found: list[str] = []
        for patient in system(Patient, practice).exclude(pk__in=my_patients):
            found += [str(patient.public_id), patient.account_number]
        for claim in system(Claim, practice).exclude(encounter_id__in=mine):
            found += [str(claim.public_id), claim.number]
    found += [str(pw.their_era.public_id), pw.their_era.trace_number]
    return found


def _records(spec: matrix.Spec, world: matrix.World, pw: ProviderWorld) -> list[Any]:
    """(label, value, allowed): hers and another provider's in her practice; other practices'
    (never hers) as the main matrix makes them; and one that does not exist."""
    holds = world.holds(spec.needs, pw.practice.pk)
    exceptions, denials = exceptions_of(pw), denials_of(pw)
    mine: dict[str, list[tuple[str, Any, bool]]] = {
        "patient": [
            ("her provider's patient", pw.my_patient.public_id, holds),
            ("another provider's patient", pw.their_patient.public_id, False),
        ],
        "coverage": [
            ("her provider's patient's coverage", _coverage_of(pw.my_patient, pw), holds),
            ("another provider's patient's coverage", _coverage_of(pw.their_patient, pw), False),
        ],
        "claim": [
            ("her provider's claim", pw.my_paid.public_id, holds),
            ("another provider's claim", pw.their_paid.public_id, False),
        ],
        "era": [
            ("ERA paying hers and theirs", pw.mixed_era.public_id, holds),
            ("ERA paying theirs only", pw.their_era.public_id, False),
        ],
        "era_exception": [
            ("her claim's exception", exceptions["mine"].public_id, holds),
            ("another provider's claim's exception", exceptions["theirs"].public_id, False),
            ("an unmatched loop's exception", exceptions["unmatched"].public_id, False),
        ],
        "denial": [
            ("her claim's denial", denials["mine"].public_id, holds),
            ("another provider's claim's denial", denials["theirs"].public_id, False),
        ],
        "appeal": [
            ("her claim's denial's appeal", _appeal(denials["mine"], pw), holds),
            ("another provider's claim's appeal", _appeal(denials["theirs"], pw), False),
        ],
    }
    missing = ("missing", uuid.uuid4(), False)
    if spec.record == "workitem":
        others = [r for r in matrix._records(spec, world) if r[0] != "missing"]
        own_code = f"of {pw.practice.code}"
        return [*_items(pw, world), *(r for r in others if not r[0].endswith(own_code)), missing]
    if spec.record in ("patient", "claim", "coverage"):
        others = [r for r in matrix._records(spec, world) if r[0] != "missing"]
        own_code = f"of {pw.practice.code}"
        return [*mine[spec.record], *(r for r in others if not r[0].endswith(own_code)), missing]
    if spec.record in mine:
        return [*mine[spec.record], missing]
    if spec.record == "batch":
        # Listed when they carry one of her claims, but the file carries everyone's: never hers.
        with rls.practice_scope([p.pk for p in world.practices]):
            batches = list(
                Batch.objects.for_system([p.pk for p in world.practices], reason="test")
                .filter(practice__workspace=pw.practice.workspace)
                .order_by("id")
            )
        rls.activate([])
        assert any(b.practice_id == pw.practice.pk for b in batches)
        return [(f"batch of {b.practice_id}", b.public_id, False) for b in batches] + [missing]
    if spec.record == "job":
        own = IngestJob.objects.create(
            workspace=pw.practice.workspace, file_name="own.835", path="/none", created_by=pw.user
        )
        return [("own job", own.pk, holds), ("missing", 2**31 - 1, False)]
    return matrix._records(spec, world)  # users, grants, practices: nothing per provider


def _coverage_of(patient: Patient, pw: ProviderWorld) -> Any:
    from bureau.patients.models import Coverage

    with rls.practice_scope([pw.practice.pk]):
        coverage = system(Coverage, pw.practice).filter(patient=patient).order_by("id").first()
    rls.activate([])
    assert coverage is not None
    return coverage.public_id


def _appeal(denial: Any, pw: ProviderWorld) -> Any:
    """The denial's level-1 appeal, made once for all the appeal URLs."""
    from bureau.denials.appeal_models import Appeal

    with rls.practice_scope([pw.practice.pk]):
        appeal = system(Appeal, pw.practice).filter(denial=denial, level=1).first()
        if appeal is None:
            appeal = matrix.appeal_of(denial, pw.user)
    rls.activate([])
    return appeal.public_id


def _items(pw: ProviderWorld, world: matrix.World) -> list[tuple[str, Any, bool]]:
    """A follow-up item of her provider's claim and one of another provider's (the matrix's
    `workitems` made them, with the refresh)."""
    from bureau.workqueues.functions import Function
    from bureau.workqueues.tests import helpers

    with rls.practice_scope([pw.practice.pk]):
        providers = {
            c.pk: {c.encounter.rendering_provider_id, c.encounter.billing_provider_id}
            for c in system(Claim, pw.practice).select_related("encounter")
        }
    items = helpers.live([pw.practice.pk], function=Function.FOLLOWUP)
    holds = world.holds((matrix.WORK_CAPABILITY[Function.FOLLOWUP],), pw.practice.pk)
    mine = next(i for i in items if providers[i.claim_id] & pw.allowed)
    theirs = next(i for i in items if not providers[i.claim_id] & pw.allowed)
    return [
        ("her provider's claim's item", mine.public_id, holds),
        ("another provider's claim's item", theirs.public_id, False),
    ]


def test_provider_limited_matrix():
    pw = build()
    world = matrix.build_world(pw.user.username)
    world.foreign += _foreign(pw)
    probe = matrix.Probe()
    for name in matrix.served():
        spec = matrix.CLASSIFICATION[name]
        if spec.record is None or spec.record == "practice":
            matrix.check_url(name, spec, world, probe)
            continue
        client = verified_client(pw.user.username)
        for label, value, allowed in _records(spec, world, pw):
            kwarg = matrix.RECORD_KWARG.get(spec.record, "public_id")
            url = reverse(name, kwargs={kwarg: value})
            allowed = allowed and name not in WHOLE_FILES | WHOLE_PRACTICE
            probe.expect(
                f"{spec.method} {name} {label}",
                matrix._call(client, spec.method, url, spec.post),
                spec.ok if allowed else 404,
                world,
            )
            if spec.form_post:
                probe.expect(
                    f"POST {name} {label} (empty form)",
                    client.post(url, {}),
                    200 if allowed else 404,
                    world,
                )
    assert not probe.failures, "\n".join(probe.failures)
    assert probe.allowed > 20 and probe.refused > 20, probe


def test_lists_show_her_providers_rows_only():
    """Each list, unfiltered and filtered to her practice, shows exactly the rows of her
    providers (the page's own rows, checked against the database, not only by absence)."""
    pw = build()
    client = verified_client(pw.user.username)
    with rls.practice_scope([pw.practice.pk]):
        my_claims = set(
            system(Claim, pw.practice)
            .filter(encounter__rendering_provider_id__in=pw.allowed)
            .values_list("public_id", flat=True)
        )
        their_claims = set(
            system(Claim, pw.practice)
            .exclude(encounter__rendering_provider_id__in=pw.allowed)
            .exclude(encounter__billing_provider_id__in=pw.allowed)
            .values_list("public_id", flat=True)
        )
    assert my_claims and their_claims
    for query in ("", f"?practice={pw.practice.public_id}"):
        page = client.get(f"/claims/{query}").context["page"]
        shown = {uuid.UUID(r.public_id) for r in page.rows}
        assert shown == {c for c in my_claims}, query
        assert page.count == len(my_claims)
        eras = {r.public_id for r in client.get(f"/eras/{query}").context["page"].rows}
        assert eras == {str(pw.mixed_era.public_id)}
    denials = client.get("/denials/").context["page"].rows
    assert denials and {d.claim_number for d in denials} == {pw.my_denied.number}
    held = [
        row
        for tab in ("exceptions", "holds")
        for row in client.get(f"/eras/exceptions/?tab={tab}&status=all").context["page"].rows
    ]
    assert {r.public_id for r in held} == {str(exceptions_of(pw)["mine"].public_id)}


def test_an_era_paying_several_providers_shows_her_claim_loops_only():
    pw = build()
    client = verified_client(pw.user.username)
    detail = client.get(f"/eras/{pw.mixed_era.public_id}/").context["d"]
    assert {c.claim_number for c in detail.claims} == {pw.my_paid.number, pw.my_denied.number}
    for loop in detail.claims:
        assert loop.lines and all(ln.line.era_claim_id == loop.era_claim.pk for ln in loop.lines)
    assert detail.provider_adjustments == []  # the PLB is the practice's
    assert {e.claim_id for e in detail.exceptions} == {pw.my_denied.pk}
    # The whole file carries the other provider's patients: refused like a foreign ERA.
    assert client.get(f"/eras/{pw.mixed_era.public_id}/download").status_code == 404
    owner = verified_client("olivia.owner")
    owner_detail = owner.get(f"/eras/{pw.mixed_era.public_id}/").context["d"]
    assert len(owner_detail.claims) == 5 and owner_detail.provider_adjustments


def test_home_figures_and_chart_count_her_providers_rows_only():
    pw = build()
    with rls.practice_scope([pw.practice.pk]):
        Era.objects.for_system([pw.practice.pk], reason="test").filter(
            pk__in=[pw.mixed_era.pk, pw.their_era.pk]
        ).update(payment_date=pw.mixed_era.received_at.date())
    rls.activate([])
    rows = verified_client(pw.user.username).get("/").context["summaries"]
    [row] = [r for r in rows if r.practice.pk == pw.practice.pk]
    whole = verified_client("cliff.client").get("/").context["summaries"][0]
    assert row.patients is not None and whole.patients is not None
    assert 0 < row.patients < whole.patients
    mine = denials_of(pw)["mine"]
    with rls.practice_scope([pw.practice.pk]):
        my_denials = system(Denial, pw.practice).filter(claim_id=mine.claim_id).count()
    rls.activate([])
    assert row.open_denials == my_denials and whole.open_denials > my_denials
    # Her one open item is a policy hold: counted as such, apart from exceptions to fix.
    assert (row.open_exceptions, row.policy_holds) == (0, 1)
    assert whole.open_exceptions + whole.policy_holds >= 3
    # What was paid on her claims, not the whole payments that also pay other providers: on
    # the home page and in the ERA list's weekly chart.
    assert row.paid_recently == pw.my_paid.total_charge
    assert whole.paid_recently > row.paid_recently
    chart = verified_client(pw.user.username).get("/eras/").context["chart"]
    assert chart.total == pw.my_paid.total_charge
    assert sum(bar.eras for bar in chart.bars) == 1
    assert verified_client("cliff.client").get("/eras/").context["chart"].total > chart.total


PAGES = ["/", "/patients/", "/claims/", "/eras/", "/eras/exceptions/?status=all", "/denials/"]


def test_provider_narrowing_costs_no_query():
    """Subqueries, not extra reads: no page takes more queries for her than once her grant is
    widened to the whole practice, but for one read of what was paid on her claims where money
    paid is summed (home, the ERA list's chart); the N+1 guards are in test_query_counts."""
    pw = build()
    pages = [
        *PAGES,
        f"/claims/{pw.my_paid.public_id}/",
        f"/eras/{pw.mixed_era.public_id}/",
        f"/patients/{pw.my_patient.public_id}/",
    ]

    def counts() -> dict[str, int]:
        client = verified_client(pw.user.username)
        found = {}
        for url in pages:
            client.get(url)  # warm-up
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200, url
            # Reads only: PostgreSQL's per-read RLS setting is no read.
            found[url] = sum("set_config" not in q["sql"] for q in ctx.captured_queries)
        return found

    limited = counts()
    Grant.objects.get(user=pw.user).providers.clear()
    whole = counts()
    extra = {url: limited[url] - whole[url] for url in pages}
    assert extra.pop("/") == 1 and extra.pop("/eras/") == 1
    assert all(n <= 0 for n in extra.values()), extra


def test_demographics_limited_to_providers_beside_a_wider_grant_are_shown_nowhere():
    """Review finding: a biller grant limited to two doctors (with demographics) beside a
    whole-practice denial-specialist grant (without) must not unmask every provider's patients
    nor hand out raw files. Demographics are confined: masked on that practice, no file."""
    from bureau.tenancy.actor import resolve_actor
    from bureau.tenancy.roles import Capability as C

    pw = build()
    Grant.objects.create(
        workspace=pw.practice.workspace,
        user=pw.user,
        practice=pw.practice,
        role="denial_specialist",
        reason="covers denials for the whole practice",
    )
    actor = resolve_actor(pw.user)
    assert not actor.can(C.PATIENTS_DEMOGRAPHICS, pw.practice)
    assert actor.provider_ids(pw.practice, C.CLAIMS_VIEW) is None  # the wider grant reads all
    client = verified_client(pw.user.username)
    theirs = client.get(
        reverse("patients:detail", kwargs={"public_id": pw.their_patient.public_id})
    )
    if theirs.status_code == 200:
        body = theirs.content.decode()
        assert pw.their_patient.last_name not in body
        assert pw.their_patient.date_of_birth.isoformat() not in body
    else:
        assert theirs.status_code == 404
    for era in (pw.mixed_era, pw.their_era):
        url = reverse("eras:download", kwargs={"public_id": era.public_id})
        assert client.get(url).status_code == 404
    with rls.practice_scope([pw.practice.pk]):
        batch_ids = list(
            Batch.objects.for_system([pw.practice.pk], reason="test").values_list(
                "public_id", flat=True
            )
        )
    for public_id in batch_ids:
        url = reverse("batches:download", kwargs={"public_id": public_id})
        assert client.get(url).status_code == 404


def test_balancing_problems_of_other_providers_claims_are_not_shown():
    """Review finding: the stored problems of a whole file named the other provider's claim and
    its amounts on the ERA page of a provider-limited user."""
    pw = build()
    problems = [
        f"claim {pw.my_paid.number} (segment 9): CLP03 10.00 − CLP04 5.00 ≠ ΣCAS 1.00",
        f"claim {pw.their_paid.number} (segment 21): CLP03 228.00 − CLP04 71.09 ≠ ΣCAS 101.00",
    ]
    with rls.practice_scope([pw.practice.pk]):
        Era.objects.for_system([pw.practice.pk], reason="test").filter(pk=pw.mixed_era.pk).update(
            balancing_problems=problems
        )
    url = reverse("eras:detail", kwargs={"public_id": pw.mixed_era.public_id})
    mine = verified_client(pw.user.username).get(url).content.decode()
    assert pw.my_paid.number in mine and "ΣCAS 1.00" in mine
    assert "71.09" not in mine and pw.their_paid.number not in mine
    whole = verified_client("olivia.owner").get(url).content.decode()
    assert "71.09" in whole and "ΣCAS 1.00" in whole


def test_no_download_link_is_offered_where_the_file_would_be_refused():
    """Review finding: ERA and batch pages offered download links that answer 404 to her."""
    pw = build()
    url = reverse("eras:detail", kwargs={"public_id": pw.mixed_era.public_id})
    download = reverse("eras:download", kwargs={"public_id": pw.mixed_era.public_id})
    assert download not in verified_client(pw.user.username).get(url).content.decode()
    assert download not in verified_client("dan.denials").get(url).content.decode()
    assert download in verified_client("olivia.owner").get(url).content.decode()
    for username in (pw.user.username, "dan.denials", "olivia.owner"):
        client = verified_client(username)
        body = client.get(reverse("batches:list"), {"practice": "all"}).content.decode()
        for link in re.findall(r'href="(/batches/[^"]+/download/)"', body):
            assert client.get(link).status_code == 200, (username, link)
