"""A practice's month in figures: the A/R roll-forward from the ledger, and the month's activity.

Everything here is SQL aggregation (GROUP BY with conditional sums), a fixed handful of queries
whatever the size of the practice: the same code must run on a 1M-claim book.

**Which date decides the month.** A ledger entry belongs to the month of its `effective_date`,
the ledger's business date: the date a charge was submitted, the 835's payment date (BPR16) for
payments, adjustments, transfers and payer takebacks, the approval date for a write-off. Not
`posted_at`, the moment the system wrote the row: a payment the payer made on 30 November is
November's money for the practice (it matches the deposit in its bank statement and the payer's
remittance) even when the ERA was taken in on 2 December, and the simulator's replayed days carry
their own dates. The price is that a late posting can change a month already reported; that is
why a month is regenerated as a new *version* (the old one kept), and each version's identity
holds on its own. A/R at the start of a month is every entry dated before its first day, so it
equals the end of the month before, version for version, by construction.

**What "A/R" is here.** The insurance balance of the practice's claim lines: the sum of their
ledger entries (see `ledger/models.py`). Amounts moved to patient responsibility leave it (a
line of their own below); patient balances are not in this figure.

Dates of other records are taken the same way where the ledger does not carry them: a denial
opens on its `denied_on` (the ERA's payment date); an ERA counts on its payment date; a
denial's closing and a write-off's approval are timestamps, taken by their UTC date — the date
the write-off's ledger entry carries (`clock.now().date()` in `billing.services`).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from bureau import clock
from bureau.billing.models import POSTED_STATUSES, WriteOffReason, WriteOffRequest
from bureau.denials.models import Denial, DenialEvent, DenialStatus
from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.remittance.models import Era
from bureau.reports.aging import BUCKETS, insurance_buckets
from bureau.reports.filters import AgingBasis, parse_month_first
from bureau.reports.kpis import REGISTRY, compute
from bureau.reports.kpis.registry import Unit, ratio
from bureau.reports.kpis.scope import SystemScope
from bureau.tenancy.models import Practice

ZERO = Decimal("0.00")
REASON = "monthly client report"
MONEY = F("amount")


class MonthError(ValueError):
    """A month that cannot be reported: malformed, not yet over."""


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def next_first(self) -> date:
        return self.next().first

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def label(self) -> str:
        return f"{calendar.month_name[self.month]} {self.year}"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)


def parse_month(text: str, *, today: date | None = None) -> Month:
    """`YYYY-MM` for a month that has ended (the report of a month still running would change
    under the client's eyes); anything else is a MonthError saying what is wrong. Read by the
    reports' month filter (`reports.filters.parse_month_first`: ASCII digits, from 2000), so
    the command takes no month the pages would refuse."""
    today = today or clock.now().date()
    first, error = parse_month_first(text or "", today=today)
    if first is None:
        raise MonthError(error)
    month = Month.of(first)
    if month == Month.of(today):
        raise MonthError(f"{month} has not ended yet: its report is made on {month.next_first}")
    return month


def month_due(today: date) -> Month:
    """The month the scheduled run on `today` reports: the one before (January → December)."""
    return Month.of(today).previous()


# -- the roll-forward -------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    """One line of the roll-forward: an entry kind's effect on A/R (`effect`, signed as on the
    ledger) and, of it, what came from reversals of earlier entries."""

    key: str
    label: str
    short: str  # the by-payer table's column heading
    sign: str  # how the line enters the identity: "+" raises A/R, "−" lowers it
    kind: str


# In the order the report states them. A reversal keeps its kind (ledger/models.py), so each
# line is net of its reversals and says how much of it they were.
LINES: tuple[Line, ...] = (
    Line("charges", "Charges", "Charges", "+", EntryKind.CHARGE),
    Line("payments", "Payments", "Payments", "−", EntryKind.PAYMENT),
    Line(
        "adjustments",
        "Adjustments (contractual and other payer adjustments)",
        "Adjustments",
        "−",
        EntryKind.ADJUSTMENT,
    ),
    Line(
        "patient_resp",
        "Transfers to patient responsibility",
        "To patient",
        "−",
        EntryKind.PATIENT_RESPONSIBILITY,
    ),
    Line("write_offs", "Write-offs", "Write-offs", "−", EntryKind.WRITE_OFF),
    Line("refunds", "Payer takebacks and refunds", "Takebacks", "+", EntryKind.REFUND),
)
BY_KIND = {line.kind: line for line in LINES}


def _money(value: Decimal | None) -> str:
    return str((value or ZERO).quantize(Decimal("0.01")))


def _shown(line: Line, effect: Decimal) -> Decimal:
    """The amount as the report states it on its line: a line that lowers A/R shows what it
    took off as a positive amount (payments of 100.00 are `− 100.00`, effect −100.00)."""
    return effect if line.sign == "+" else -effect


def rollforward(entries: QuerySet[LedgerEntry], month: Month) -> dict[str, Any]:
    """The practice's A/R roll-forward for `month` from its (already scoped) ledger entries, in
    total and by payer, as JSON-ready data (Decimals as strings). One grouped query."""
    rows = (
        entries.filter(effective_date__lt=month.next_first)
        .values("claim__payer_id", "claim__payer__name", "kind")
        .annotate(
            before=Coalesce(Sum(MONEY, filter=Q(effective_date__lt=month.first)), Value(ZERO)),
            during=Coalesce(Sum(MONEY, filter=Q(effective_date__gte=month.first)), Value(ZERO)),
            reversed=Coalesce(
                Sum(MONEY, filter=Q(effective_date__gte=month.first, reverses__isnull=False)),
                Value(ZERO),
            ),
        )
        .order_by()
    )
    payers: dict[int, dict[str, Any]] = {}
    for row in rows:
        payer = payers.setdefault(
            row["claim__payer_id"],
            {
                "payer": row["claim__payer__name"],
                "start": ZERO,
                **{line.key: ZERO for line in LINES},
                **{f"{line.key}_reversed": ZERO for line in LINES},
            },
        )
        line = BY_KIND[row["kind"]]
        payer["start"] += row["before"]
        payer[line.key] += row["during"]
        payer[f"{line.key}_reversed"] += row["reversed"]
    by_payer = []
    for payer in sorted(payers.values(), key=lambda p: p["payer"]):
        end = payer["start"] + sum((payer[line.key] for line in LINES), ZERO)
        by_payer.append(
            {
                "payer": payer["payer"],
                "start": _money(payer["start"]),
                **{line.key: _money(_shown(line, payer[line.key])) for line in LINES},
                "end": _money(end),
            }
        )
    start = sum((p["start"] for p in payers.values()), ZERO)
    lines = []
    for line in LINES:
        effect = sum((p[line.key] for p in payers.values()), ZERO)
        reversed_effect = sum((p[f"{line.key}_reversed"] for p in payers.values()), ZERO)
        lines.append(
            {
                "key": line.key,
                "label": line.label,
                "sign": line.sign,
                "amount": _money(_shown(line, effect)),
                "effect": _money(effect),
                "of_which_reversals": _money(_shown(line, reversed_effect)),
            }
        )
    end = start + sum((Decimal(ln["effect"]) for ln in lines), ZERO)
    return {"start": _money(start), "lines": lines, "end": _money(end), "by_payer": by_payer}


def identity_holds(figures: dict[str, Any]) -> bool:
    """start + Σ(sign × amount) = end, to the cent, in total and on every payer's row."""
    roll = figures["rollforward"]

    def adds_up(start: str, amounts: dict[str, str], end: str) -> bool:
        total = Decimal(start)
        for line in LINES:
            value = Decimal(amounts[line.key])
            total += value if line.sign == "+" else -value
        return total == Decimal(end)

    totals = {ln["key"]: ln["amount"] for ln in roll["lines"]}
    return adds_up(roll["start"], totals, roll["end"]) and all(
        adds_up(p["start"], p, p["end"]) for p in roll["by_payer"]
    )


# -- the month's activity ---------------------------------------------------------------------
def _utc_range(month: Month) -> tuple[datetime, datetime]:
    return (
        datetime.combine(month.first, datetime.min.time(), tzinfo=UTC),
        datetime.combine(month.next_first, datetime.min.time(), tzinfo=UTC),
    )


def activity(
    month: Month,
    *,
    entries: QuerySet[LedgerEntry],
    eras: QuerySet[Era],
    denials: QuerySet[Denial],
    denial_events: QuerySet[DenialEvent],
    writeoffs: QuerySet[WriteOffRequest],
) -> dict[str, Any]:
    """What the practice expects to read about its month, each from its own scoped queryset:
    claims submitted, ERAs received, denials opened and closed, write-offs by reason."""
    in_month = Q(effective_date__gte=month.first, effective_date__lt=month.next_first)
    # A claim's first submission posts one CHARGE per line (`ledger.services.post_charges`):
    # its charges are the roll-forward's charges before reversals.
    submitted = (
        entries.filter(in_month, kind=EntryKind.CHARGE, reverses__isnull=True)
        .order_by()
        .aggregate(
            claims=Count("claim_id", distinct=True),
            charges=Coalesce(Sum(MONEY), Value(ZERO)),
        )
    )
    remitted = (
        eras.filter(payment_date__gte=month.first, payment_date__lt=month.next_first)
        .order_by()
        .aggregate(eras=Count("id"), paid=Coalesce(Sum("total_paid"), Value(ZERO)))
    )
    opened = (
        denials.filter(denied_on__gte=month.first, denied_on__lt=month.next_first)
        .order_by()
        .aggregate(count=Count("id"), amount=Coalesce(Sum("amount"), Value(ZERO)))
    )
    start, end = _utc_range(month)
    closing = {
        status: Count("denial_id", distinct=True, filter=Q(changes__status__1=status.value))
        for status in (DenialStatus.RESOLVED, DenialStatus.WRITTEN_OFF, DenialStatus.REVERSED)
    }
    closed = (
        denial_events.filter(occurred_at__gte=start, occurred_at__lt=end)
        .order_by()
        .aggregate(**{status.value: count for status, count in closing.items()})
    )
    by_reason = {
        row["reason"]: row
        for row in writeoffs.filter(
            status__in=POSTED_STATUSES, decided_at__gte=start, decided_at__lt=end
        )
        .values("reason")
        .annotate(count=Count("id"), amount=Coalesce(Sum("amount"), Value(ZERO)))
        .order_by()
    }
    reasons = [
        {
            "reason": reason.value,
            "label": str(reason.label),
            "count": by_reason[reason.value]["count"],
            "amount": _money(by_reason[reason.value]["amount"]),
        }
        for reason in WriteOffReason
        if reason.value in by_reason
    ]
    return {
        "claims_submitted": {"count": submitted["claims"], "charges": _money(submitted["charges"])},
        "eras_received": {"count": remitted["eras"], "paid": _money(remitted["paid"])},
        "denials_opened": {"count": opened["count"], "amount": _money(opened["amount"])},
        "denials_closed": {
            "resolved": closed[DenialStatus.RESOLVED.value],
            "written_off": closed[DenialStatus.WRITTEN_OFF.value],
            "reversed_by_payer": closed[DenialStatus.REVERSED.value],
        },
        "write_offs_by_reason": reasons,
        "write_offs_total": _money(sum((Decimal(r["amount"]) for r in reasons), ZERO)),
    }


DATE_RULE = (
    "Each ledger entry counts in the month of its effective date: the submission date for a "
    "charge, the payer's payment date (835 BPR16) for payments, adjustments, transfers and "
    "takebacks, the approval date for a write-off. A/R at the start is every entry dated "
    "before the month's first day."
)


# -- KPIs against targets, and the aging at month end ----------------------------------------------
# The KPIs a client is promised a figure for (their targets are in the KPI registry).
TARGET_KPIS = ("clean_claim_rate", "days_in_ar", "initial_denial_rate", "net_collection_rate")


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def kpis_against_targets(practice: Practice, month: Month) -> list[dict[str, Any]]:
    """Each target KPI over the month as its period (the KPI registry's default variant, the
    same function the dashboard calls), with its target and whether it was met."""
    scope = SystemScope.of(practice.pk, month.first, month.last, REASON)
    rows = []
    for key in TARGET_KPIS:
        definition = REGISTRY[key].definition
        value = compute(key, scope)
        rows.append(
            {
                "key": key,
                "name": definition.name,
                "variant": value.variant.name,
                "unit": value.unit.value,
                "value": _decimal(value.value),
                "numerator": str(value.numerator.quantize(Decimal("0.01"))),
                "denominator": str(value.denominator.quantize(Decimal("0.01"))),
                "target": _decimal(definition.target),
                "target_label": definition.target_label,
                "met": definition.met(value.value),
            }
        )
    return rows


def aging_at_month_end(entries: QuerySet[LedgerEntry], month: Month) -> dict[str, Any]:
    """The insurance A/R at the month's last day by age from the date of service, the A/R
    aging report's buckets and queries (`aging.insurance_buckets`); its total is the
    roll-forward's A/R at the end."""
    claims, buckets = insurance_buckets(None, entries, month.last, AgingBasis.SERVICE)
    over_90 = buckets.amounts[3] + buckets.amounts[4]
    return {
        "as_of": month.last.isoformat(),
        "basis": AgingBasis.SERVICE.label,
        "claims": claims,
        "buckets": [
            {"label": label, "amount": _money(amount)}
            for label, amount in zip(BUCKETS, buckets.amounts, strict=True)
        ],
        "total": _money(buckets.total),
        "over_90": _money(over_90),
        "over_90_pct": _decimal(ratio(over_90, buckets.total, Unit.PERCENT)),
    }


def monthly_figures(practice: Practice, month: Month) -> dict[str, Any]:
    """The whole month of one practice, read for the system (the report is the practice's,
    of every provider): JSON-ready, Decimals as strings."""
    ids = [practice.pk]

    def scoped(model: Any) -> QuerySet[Any]:
        rows: QuerySet[Any] = model.objects.for_system(ids, reason=REASON)
        return rows.filter(practice_id=practice.pk)

    entries = scoped(LedgerEntry)
    return {
        "practice": {"name": practice.name, "code": practice.code},
        "month": str(month),
        "period": {"first": month.first.isoformat(), "last": month.last.isoformat()},
        "date_rule": DATE_RULE,
        "rollforward": rollforward(entries, month),
        "activity": activity(
            month,
            entries=entries,
            eras=scoped(Era),
            denials=scoped(Denial),
            denial_events=scoped(DenialEvent),
            writeoffs=scoped(WriteOffRequest),
        ),
        "kpis": kpis_against_targets(practice, month),
        "aging": aging_at_month_end(entries, month),
    }
