"""The chain's tests look at chains as a committed request leaves them. A test's transaction
never commits, so the seal that follows a commit is run at once here; `test_sealing.py`
checks the seal's own timing (nothing sealed before the commit, and what a rollback takes)."""

from __future__ import annotations

import pytest

from bureau.audit import chain


@pytest.fixture(autouse=True)
def _sealed_as_if_committed(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if request.module.__name__.endswith("test_sealing"):
        return
    monkeypatch.setattr(chain, "_seal_after_commit", chain.seal)
