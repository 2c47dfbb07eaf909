"""`scrub(snapshot, context)`: every rule over one claim, hits in a stable order.

`scrub.rules_enabled = false` turns the built-in coding rules off, but two things still run:
the enrollment check (credentialing is a gate, not an edit: an unenrolled provider's claim is
denied whatever the practice prefers) and the practice's own custom rules (a practice that turns
the built-ins off usually does so to rely on its own).
"""

from __future__ import annotations

from bureau.claims.scrubber.custom import custom_hits
from bureau.claims.scrubber.rules import BUILTIN_RULES, enrollment
from bureau.claims.scrubber.snapshot import ClaimSnapshot, Hit, ScrubContext


def scrub(snapshot: ClaimSnapshot, context: ScrubContext) -> list[Hit]:
    hits: list[Hit] = []
    if context.rules_enabled:
        for _, rule in BUILTIN_RULES:
            hits.extend(rule(snapshot, context))
    else:
        hits.extend(enrollment(snapshot, context))
    if context.custom_rules:
        hits.extend(custom_hits(snapshot, context.custom_rules))
    return hits
