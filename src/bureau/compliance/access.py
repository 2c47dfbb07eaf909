"""Who may read and change the compliance program's records.

The program belongs to the billing company as a whole (its BAAs with vendors, its incident log),
so changing it needs `compliance.manage` on every practice: a grant on all practices of the
workspace (`actor.can_workspace`). The compliance officer and the owner hold it.

Reading has two reaches:

* the *whole program*: `compliance.view` on every practice (owner, supervisor and compliance
  officer with all-practices grants);
* *one practice's records*: the practices where the actor holds `compliance.view` through a
  grant on that practice, or where it is the practice's **client viewer**. The client viewer role
  carries no `compliance.view` (it would open the billing company's program to a customer), but
  issue 15 lets the practice see what concerns it: its own client BAA and the incidents that
  affected it. Nothing else: never a subcontractor BAA, never another practice's record.
"""

from __future__ import annotations

from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.roles import Capability, Role


def can_manage(actor: Actor) -> bool:
    return actor.can_workspace(Capability.COMPLIANCE_MANAGE)


def require_manage(actor: Actor) -> None:
    if not can_manage(actor):
        raise CapabilityDenied(Capability.COMPLIANCE_MANAGE)


def sees_whole_program(actor: Actor) -> bool:
    return actor.can_workspace(Capability.COMPLIANCE_VIEW)


def practices_seen(actor: Actor) -> frozenset[int]:
    """The practices whose own compliance records (client BAA, incidents that affected them) the
    actor may read without seeing the whole program."""
    return frozenset(
        pid
        for pid, access in actor.access.items()
        if Capability.COMPLIANCE_VIEW in access.capabilities or Role.CLIENT_VIEWER in access.roles
    )


def can_read_any(actor: Actor) -> bool:
    return sees_whole_program(actor) or bool(practices_seen(actor))
