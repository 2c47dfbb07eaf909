"""The claim scrubber: a pure rule engine over typed snapshots (no Django, no database).

`snapshot.py` holds the inputs (`ClaimSnapshot`, `ScrubContext`), `rules.py` the built-in rules,
`custom.py` the configured rules, `tables.py` the NCCI/MUE loaders and `engine.py` `scrub()`.
The service `bureau.claims.scrubbing` builds snapshots from the database and writes the hits.
"""

from bureau.claims.scrubber.engine import scrub
from bureau.claims.scrubber.snapshot import (
    ClaimSnapshot,
    EnrollmentState,
    Hit,
    LineSnapshot,
    ScrubContext,
)

__all__ = ["ClaimSnapshot", "EnrollmentState", "Hit", "LineSnapshot", "ScrubContext", "scrub"]
