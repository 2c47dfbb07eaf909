"""`bureau scrub [--practice NPI]`: scrub every draft, scrubbed and credentialing-hold claim.

Runs as the system (no actor), one transaction per practice inside its RLS scope, and prints one
line per practice with how many claims went ready, scrubbed (errors) and on credentialing hold.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bureau.claims.models import Claim, ClaimState
from bureau.claims.scrubbing import SYSTEM_REASON, claims_scrub
from bureau.tenancy import rls
from bureau.tenancy.models import Practice, PracticeStatus

PENDING = (ClaimState.DRAFT, ClaimState.SCRUBBED, ClaimState.CREDENTIALING_HOLD)


class Command(BaseCommand):
    help = "Scrub draft, scrubbed and credentialing-hold claims [--practice NPI]"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", help="only this practice (its NPI)")

    def handle(self, *args: Any, **options: Any) -> None:
        practices = Practice.objects.exclude(status=PracticeStatus.OFFBOARDED).order_by("id")
        if options.get("practice"):
            practices = practices.filter(npi=options["practice"])
            if not practices.exists():
                raise CommandError(f"no practice with NPI {options['practice']}")
        total: Counter[str] = Counter()
        for practice in practices:
            with rls.practice_scope([practice.pk]):
                claims = list(
                    Claim.objects.for_system([practice.pk], reason=SYSTEM_REASON)
                    .filter(state__in=PENDING)
                    .order_by("id")
                )
                outcomes = claims_scrub(actor=None, claims=claims)
            counts = Counter(o.state.value for o in outcomes)
            total.update(counts)
            total["claims"] += len(outcomes)
            if outcomes:
                self.stdout.write(
                    f"{practice.code}: {len(outcomes)} scrubbed — {counts['ready']} ready, "
                    f"{counts['scrubbed']} with errors, "
                    f"{counts['credentialing_hold']} on credentialing hold"
                )
        self.stdout.write(
            f"total: {total['claims']} claims — {total['ready']} ready, {total['scrubbed']} "
            f"with errors, {total['credentialing_hold']} on credentialing hold"
        )
