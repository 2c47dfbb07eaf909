"""Django's PostgreSQL backend, remembering the RLS practice scope of the open transaction.

`rls.activate` runs before every scoped query, so a page set the same `app.practice_ids` up to
seven times in one transaction: one round trip each, for nothing. The wrapper keeps the value it
last set and `rls.activate` skips a repeat. The setting is transaction-local
(`set_config(..., true)`), so the remembered value is dropped whenever the server may have
dropped it: commit, rollback, a rollback to a savepoint (it undoes a setting made after the
savepoint), a switch of autocommit, a closed or new connection. A reused connection therefore
never skips setting its new request's scope.
"""

from __future__ import annotations

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    # The `app.practice_ids` this connection's open transaction holds, as set by
    # `rls.activate`; None when unknown (then the next activate sets it).
    rls_scope: str | None = None

    def init_connection_state(self) -> None:
        self.rls_scope = None
        super().init_connection_state()

    def _commit(self) -> None:
        self.rls_scope = None
        super()._commit()  # type: ignore[misc]  # private, not in the stubs

    def _rollback(self) -> None:
        self.rls_scope = None
        super()._rollback()  # type: ignore[misc]  # private, not in the stubs

    def _savepoint_rollback(self, sid: str) -> None:
        self.rls_scope = None
        super()._savepoint_rollback(sid)  # type: ignore[misc]  # private, not in the stubs

    def _set_autocommit(self, autocommit: bool) -> None:
        self.rls_scope = None
        super()._set_autocommit(autocommit)  # type: ignore[misc]  # private, not in the stubs

    def _close(self) -> None:
        self.rls_scope = None
        super()._close()  # type: ignore[misc]  # private, not in the stubs
