"""`GlanceSnapshot`: one practice's figures on the owner's home, as the nightly run found them.

The book at a glance adds every practice's A/R, KPIs, month totals and denial trend; on a
1M-claim book computing them for 50 practices at once took 12–16 s, so the nightly run
(`bureau reports snapshot`) stores them per practice and the home adds the stored rows. Customer
data (a practice's money): workspace and practice, RLS, `.visible_to`. A practice's whole book in
one set of figures, so a grant limited to some providers sees none of it (its home computes its
own figures live). One row per practice and business day; a second run the same day replaces
the day's figures (the latest read wins), earlier days are kept.
"""

from __future__ import annotations

from django.db import models

from bureau import clock
from bureau.tenancy.scoping import PracticeScoped, ProviderScope


class GlanceSnapshot(PracticeScoped):
    provider_scope = ProviderScope(
        reason="a practice's whole book (every provider's claims in one set of figures): a "
        "grant limited to some providers sees none of it"
    )

    taken_on = models.DateField()  # the business day: the KPI period and the aging end on it
    taken_at = models.DateTimeField(default=clock.now)
    figures = models.JSONField()  # see reports.snapshot: Decimals as strings

    class Meta:
        ordering = ["-taken_on"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "taken_on"], name="glance_snapshot_day"),
        ]

    def __str__(self) -> str:
        return f"snapshot {self.taken_on}"
