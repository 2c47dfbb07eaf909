"""The book's PHI rows, one practice at a time: patients and coverage, encounters and charges,
claims and their lines in realistic states, batches and acknowledgements, ERAs with their claim
and service loops, the ledger, denials and ERA exceptions.

Each row is shaped as the services that write it in production leave it (see `poster.py`,
`denials/services.py`, `ledger.py`): a paid line carries charge, payment, CO-45 and PR entries
adding up to a zero balance; a denied line its charge and the denying CO adjustment (the book
auto-posts denials); a claim held by a practice's no-auto-post policy keeps its charge only and
an open POLICY_HOLD exception. Not generated: claim history rows (`ClaimEvent`), scrub runs
beyond one current error on scrubbed claims, and the X12 text of batches and ERAs (`content`
is a short placeholder: the bench book is about row counts, not files).
"""

from __future__ import annotations

import functools
import itertools
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import models

from bureau.book.setup import Book, PracticeFacts
from bureau.book.sink import Table
from bureau.claims.models import (
    Acknowledgement,
    Batch,
    ChargeLine,
    Claim,
    ClaimLine,
    Encounter,
    ScrubHit,
)
from bureau.claims.models import ClaimState as S
from bureau.claims.services import claim_number
from bureau.denials.categories import default_table
from bureau.denials.models import CLOSED_STATUSES, Denial, RootCause
from bureau.directory.models import PayerKind
from bureau.ledger.models import LedgerEntry
from bureau.patients.models import Coverage, Patient
from bureau.remittance.models import Era, EraClaim, EraException, EraLine

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
PLACEHOLDER = "(bench book: X12 text not generated)"
# Percent of claims by state; credentialing holds come on top, in practices with a pending
# enrollment (see `PracticeFacts.pending`).
STATE_WEIGHTS = {
    "paid_or_closed": 70.0,
    S.DENIED: 8.0,
    S.PARTIALLY_PAID: 5.0,
    S.ACCEPTED: 6.0,
    S.SUBMITTED: 2.0,
    S.REJECTED: 2.0,
    S.DRAFT: 2.5,
    S.SCRUBBED: 1.5,
    S.READY: 2.0,
}
DENIAL_OLD = ("resolved", "written_off", "appealed", "open")
DENIAL_MIDDLE = ("open", "in_progress", "appealed", "resolved")
HOLD_SHARE = 0.05  # of the claims of a practice with a pending enrollment
CARCS = ["16", "50", "197", "27", "97", "18", "4", "11", "22", "29", "96", "151"]
CARC_CUM = list(itertools.accumulate([20, 12, 12, 10, 12, 8, 6, 5, 6, 4, 3, 2]))
REJECTIONS = [
    ("A7:562", "Entity's National Provider Identifier (NPI) is invalid"),
    ("A7:33", "Subscriber and subscriber id not found"),
    ("A6:254", "Principal diagnosis code missing or invalid"),
    ("A7:21", "Missing or invalid information: date of birth"),
    ("A8:116", "Claim submitted to the incorrect payer"),
]
DX = ["I10", "E119", "Z0000", "J069", "M545", "E785", "F329", "R51", "K219", "N390", "L700"]
FIRST = "Avery Blake Casey Dana Elliot Frankie Gray Harper Indigo Jordan Kendall Logan".split()
LAST = "Birchwood Calloway Eastbrook Fairweather Ivesdale Jolliffe Northcott Oakhurst".split()
COLUMNS: dict[type[models.Model], str] = {
    Patient: "id workspace_id practice_id account_number first_name last_name date_of_birth sex "
    "address_line1 address_line2 city state postal_code phone created_at updated_at",
    Coverage: "id workspace_id practice_id patient_id payer_id member_id group_number cob_order "
    "relationship subscriber_first_name subscriber_last_name subscriber_date_of_birth "
    "subscriber_sex effective_date end_date",
    Encounter: "id workspace_id practice_id patient_id rendering_provider_id billing_provider_id "
    "facility_id date_of_service place_of_service diagnosis_codes created_at created_by_id",
    ChargeLine: "id workspace_id practice_id encounter_id line_number procedure_code modifiers "
    "diagnosis_pointers units charge date_of_service place_of_service",
    Claim: "id workspace_id practice_id encounter_id patient_id coverage_id payer_id number "
    "responsibility state total_charge batch_id payer_claim_number created_at updated_at "
    "frequency replaces_id diagnosis_codes date_of_service",
    ClaimLine: "id workspace_id practice_id claim_id charge_line_id line_number procedure_code "
    "modifiers diagnosis_pointers units charge date_of_service",
    ScrubHit: "id workspace_id practice_id claim_id run_at rule severity message line_number "
    "is_current",
    Batch: "id workspace_id practice_id route interchange_control_number file_name content "
    "claim_count total_charge created_at created_by_id",
    Acknowledgement: "id workspace_id practice_id kind batch_id claim_id accepted status_code "
    "message file_name received_at",
    Era: "id workspace_id practice_id payer_id payer_name payer_identifier trace_number "
    "payment_amount credit_debit payment_method payment_date total_paid "
    "total_provider_adjustments claim_count posted_count exception_count status "
    "balancing_problems file_name control_number content received_at ingested_by_id",
    EraClaim: "id workspace_id practice_id era_id claim_id patient_control_number status_code "
    "charge paid patient_responsibility payer_claim_number adjustments remark_codes outcome",
    EraLine: "id workspace_id practice_id era_claim_id claim_line_id procedure_code modifiers "
    "charge paid allowed adjustments remark_codes expected underpaid_by",
    LedgerEntry: "id workspace_id practice_id claim_id claim_line_id sequence kind amount "
    "balance_after group_code reason_code reverses_id era_id effective_date posted_at "
    "posted_by_id note",
    EraException: "id workspace_id practice_id era_id era_claim_id claim_id reason detail amount "
    "status created_at resolved_at resolved_by_id resolution_note",
    Denial: "id workspace_id practice_id claim_id claim_line_id era_id era_claim_id payer_id "
    "group_code carc rarcs amount category denied_on appeal_deadline status assignee_id "
    "root_cause created_at",
}
LOADED = list(COLUMNS)
ROOT_CAUSES = tuple(RootCause.values)


@functools.lru_cache(maxsize=4096)
def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def adj(group: str, reason: str, amount: Decimal) -> dict[str, str]:
    return {"group": group, "reason": reason, "amount": str(amount)}


class ClaimWriter:
    """Writes one practice's rows at a time into the shared tables (ids from their ranges)."""

    def __init__(self, book: Book, rng: random.Random, today: date) -> None:
        self.book = book
        self.rng = rng
        self.today = today
        self.now = datetime.now(UTC)
        self.ws = book.workspace.pk
        self.t = {model: Table(model, cols.split()) for model, cols in COLUMNS.items()}
        self.states: Counter[str] = Counter()
        self.icn = 0
        self.owner_id = book.users["owner"].pk
        self.denials_user_id = book.users["denials"].pk
        self.payer = {p.pk: p for p in book.payers}

    def flush(self) -> None:
        for table in self.t.values():
            table.flush()

    def counts(self) -> dict[str, int]:
        return {m._meta.label: t.written for m, t in self.t.items()}

    # -- one practice ------------------------------------------------------------------------
    def practice(self, f: PracticeFacts, n_claims: int) -> int:
        """Every row of `n_claims` claims of one practice; returns its last claim sequence."""
        self.f = f
        self.pid = f.practice.pk
        self.batches: dict[date, list[Any]] = {}  # day -> [id, count, total]
        self.eras: dict[tuple[int, date], list[Any]] = {}  # (payer, day) -> [id, paid, n, ok, exc]
        by_payer = self._patients(f, max(len(f.payers), n_claims // 3))
        rng = self.rng
        states = list(STATE_WEIGHTS)
        weights = list(itertools.accumulate(STATE_WEIGHTS.values()))
        payer_ids = [p.pk for p in f.payers]
        payer_weights = list(itertools.accumulate(f.payer_weights))
        doctor_ids = [d.pk for d in f.doctors]
        hold_pairs = sorted(f.pending)
        for seq in range(1, n_claims + 1):
            state: str
            if hold_pairs and rng.random() < HOLD_SHARE:
                state, (doctor, payer) = S.CREDENTIALING_HOLD, rng.choice(hold_pairs)
            else:
                state = rng.choices(states, cum_weights=weights)[0]
                payer = rng.choices(payer_ids, cum_weights=payer_weights)[0]
                doctor = rng.choice(doctor_ids)
                if (doctor, payer) in f.pending:
                    doctor = next(d.pk for d in f.doctors if (d.pk, payer) not in f.pending)
            patient, coverage = rng.choice(by_payer[payer])
            self._claim(seq, state, doctor, payer, patient, coverage)
        self._close_practice()
        return n_claims

    def _patients(self, f: PracticeFacts, count: int) -> dict[int, list[tuple[int, int]]]:
        rng, pat, cov = self.rng, self.t[Patient], self.t[Coverage]
        by_payer: dict[int, list[tuple[int, int]]] = {p.pk: [] for p in f.payers}
        now = at(self.today - timedelta(days=460))
        for n in range(1, count + 1):
            payer = f.payers[(n - 1) % len(f.payers)] if n <= len(f.payers) else None
            payer = payer or rng.choices(f.payers, f.payer_weights)[0]
            elderly = payer.kind == PayerKind.MEDICARE
            age = rng.randint(65 * 365, 92 * 365) if elderly else rng.randint(200, 64 * 365)
            pk, cpk = pat.ids(), cov.ids()
            pat.add(
                (pk, self.ws, self.pid, f"{f.practice.code}{n:07d}", rng.choice(FIRST),
                 rng.choice(LAST), self.today - timedelta(days=age), rng.choice("FM"),
                 f"{rng.randint(10, 9999)} Elm St", "", "Springfield", "IL", "62701",
                 f"555-{rng.randrange(100, 999)}-{rng.randrange(10000):04d}", now, now)
            )  # fmt: skip
            cov.add(
                (cpk, self.ws, self.pid, pk, payer.pk, f"M{cpk:010d}", "", 1, "18", "", "",
                 None, "", date(2024, 1, 1), None)
            )  # fmt: skip
            by_payer[payer.pk].append((pk, cpk))
        return by_payer

    def _dates(self, state: str) -> tuple[date, date | None, date | None]:
        """Date of service, submission date and payment date for a claim in `state`."""
        rng, today = self.rng, self.today
        days = timedelta
        if state in (S.DRAFT, S.SCRUBBED, S.READY):
            return today - days(rng.randint(0, 10)), None, None
        if state == S.CREDENTIALING_HOLD:
            return today - days(rng.randint(2, 45)), None, None
        if state in (S.SUBMITTED, S.REJECTED, S.ACCEPTED):
            if state == S.SUBMITTED:
                age = rng.randint(0, 6)
            elif state == S.REJECTED:
                age = rng.randint(1, 40)
            else:  # awaiting payment: some well past the follow-up interval
                age = rng.randint(3, 30) if rng.random() < 0.55 else rng.randint(31, 90)
            submitted = today - days(age)
            return submitted - days(rng.randint(1, 4)), submitted, None
        dos = today - days(rng.randint(45, 455))
        submitted = dos + days(rng.randint(1, 4))
        paid = submitted + days(rng.randint(12, 28))
        return dos, submitted, paid

    def _claim(
        self, seq: int, state: str, doctor: int, payer_pk: int, patient: int, coverage: int
    ) -> None:
        rng, f, t, ws, pid = self.rng, self.f, self.t, self.ws, self.pid
        dos, submitted, pay_day = self._dates(state)
        if state == "paid_or_closed":
            state = S.CLOSED if (self.today - dos).days > 150 and rng.random() < 0.35 else S.PAID
        n_lines = rng.choices((1, 2, 3, 4), cum_weights=(40, 75, 93, 100))[0]
        if state == S.PARTIALLY_PAID:
            n_lines = max(2, n_lines)
        codes = rng.sample(f.codes, min(n_lines, len(f.codes)))
        charges = [f.fees[c] for c in codes]
        total = sum(charges, ZERO)
        enc, claim_id = t[Encounter].ids(), t[Claim].ids()
        facility = f.facility_id if f.facility_id and rng.random() < 0.2 else None
        pos = "22" if facility else "11"
        created = min(at(dos + timedelta(days=1)), self.now)
        t[Encounter].add(
            (enc, ws, pid, patient, doctor, f.billing[doctor], facility, dos, pos,
             rng.sample(DX, rng.randint(1, 3)), created, self.owner_id)
        )  # fmt: skip
        number = claim_number(f.practice.code, seq)
        payer = self.payer[payer_pk]
        batch_id = None
        if submitted is not None:
            b = self.batches.get(submitted)
            if b is None:
                b = self.batches[submitted] = [t[Batch].ids(), 0, ZERO]
            b[1] += 1
            b[2] += total
            batch_id = b[0]
        line_ids = []
        for n, (code, charge) in enumerate(zip(codes, charges, strict=True), 1):
            cl, ln = t[ChargeLine].ids(), t[ClaimLine].ids()
            line_ids.append(ln)
            t[ChargeLine].add((cl, ws, pid, enc, n, code, [], [1], 1, charge, dos, ""))
            t[ClaimLine].add((ln, ws, pid, claim_id, cl, n, code, [], [1], 1, charge, dos))
        lines = list(zip(line_ids, codes, charges, strict=True))
        # What happened after submission decides the final state (a held ERA keeps it open).
        final = state
        adjudicated = submitted is not None and state not in (S.SUBMITTED, S.REJECTED)
        pcn = f"{payer.payer_id}{claim_id:010d}" if adjudicated else ""
        if submitted is not None:
            for ln, _code, charge in lines:
                t[LedgerEntry].add(
                    (t[LedgerEntry].ids(), ws, pid, claim_id, ln, 1, "charge", charge, charge,
                     "", "", None, None, submitted, at(submitted, 18), None, "claim submitted")
                )  # fmt: skip
            if state != S.SUBMITTED:
                self._ack_277(claim_id, batch_id, submitted, state)
        if pay_day is not None:
            final = self._remit(claim_id, number, state, payer, pay_day, lines, pcn)
        if state == S.SCRUBBED:
            t[ScrubHit].add(
                (t[ScrubHit].ids(), ws, pid, claim_id, created, "modifier_25_needed", "error",
                 f"Line 1: {codes[0]} billed with a procedure the same day needs modifier 25.",
                 1, True)
            )  # fmt: skip
        updated = min(at(pay_day or submitted or dos + timedelta(days=1), 19), self.now)
        t[Claim].add(
            (claim_id, ws, pid, enc, patient, coverage, payer_pk, number, 1, final, total,
             batch_id, pcn, created, updated, "1", None, [], dos)
        )  # fmt: skip
        self.states[final] += 1

    def _ack_277(self, claim_id: int, batch_id: int | None, submitted: date, state: str) -> None:
        day = submitted + timedelta(days=1)
        accepted = state != S.REJECTED
        code, message = ("A1:20", "") if accepted else self.rng.choice(REJECTIONS)
        self.t[Acknowledgement].add(
            (self.t[Acknowledgement].ids(), self.ws, self.pid, "277CA", batch_id, claim_id,
             accepted, code, message, f"277CA-{day:%Y%m%d}-{self.pid}.txt", at(day, 9))
        )  # fmt: skip

    def _era(self, payer_pk: int, day: date) -> list[Any]:
        # Payers pay on their own weekday: one ERA per payer, practice and payment date.
        day += timedelta(days=(payer_pk % 5 - day.weekday()) % 7)
        if day >= self.today:
            day -= timedelta(days=7)
        key = (payer_pk, day)
        era = self.eras.get(key)
        if era is None:
            era = self.eras[key] = [self.t[Era].ids(), ZERO, 0, 0, 0, day]
        return era

    def _remit(
        self,
        claim_id: int,
        number: str,
        state: str,
        payer: Any,
        pay_day: date,
        lines: list[tuple[int, str, Decimal]],
        pcn: str,
    ) -> str:
        """The claim's loop on its ERA, its service lines, ledger entries and denials; returns
        the claim's state (a claim on a held ERA is still ACCEPTED unless denied)."""
        rng, f, t, ws, pid = self.rng, self.f, self.t, self.ws, self.pid
        era = self._era(payer.pk, pay_day)
        era_id, day = era[0], era[5]
        held = f.policy_hold and (self.today - day).days <= 21
        ec = t[EraClaim].ids()
        carc = rng.choices(CARCS, cum_weights=CARC_CUM)[0]
        denied_lines = {0} if state == S.PARTIALLY_PAID else set()
        if state == S.DENIED:
            denied_lines = set(range(len(lines)))
        total_paid = total_pr = ZERO
        ledger = t[LedgerEntry]
        posted_at = at(day, 15)
        denial_rows = []
        for i, (ln, code, charge) in enumerate(lines):
            rate = f.rates.get((payer.pk, code))
            if i in denied_lines:
                adjustments = [adj("CO", carc, charge)]
                t[EraLine].add(
                    (t[EraLine].ids(), ws, pid, ec, ln, code, [], charge, ZERO, None,
                     adjustments, [], rate, None)
                )  # fmt: skip
                if not held:
                    ledger.add(
                        (ledger.ids(), ws, pid, claim_id, ln, 2, "adjustment", -charge, ZERO,
                         "CO", carc, None, era_id, day, posted_at, None, "")
                    )  # fmt: skip
                denial_rows.append((ln, charge))
                continue
            short = None
            if rate is not None:
                allowed = rate
                if rng.random() < 0.04:
                    short = max(Decimal("1.00"), (rate * Decimal(rng.randint(5, 25)) / 100))
                    short = short.quantize(CENT)
                    allowed = rate - short
            else:
                allowed = (charge * self.book.factor[payer.pk]).quantize(CENT)
            medicaid = payer.kind == PayerKind.MEDICAID
            share = ZERO if medicaid else Decimal(rng.choice((0, 10, 20, 20, 30)))
            pr = (allowed * share / 100).quantize(CENT)
            paid = allowed - pr
            co45 = charge - allowed
            adjustments = [adj("CO", "45", co45)] + ([adj("PR", "2", pr)] if pr else [])
            t[EraLine].add(
                (t[EraLine].ids(), ws, pid, ec, ln, code, [], charge, paid, allowed,
                 adjustments, [], rate, short)
            )  # fmt: skip
            total_paid += paid
            total_pr += pr
            if held:
                continue
            balance = charge - paid
            ledger.add(
                (ledger.ids(), ws, pid, claim_id, ln, 2, "payment", -paid, balance, "", "",
                 None, era_id, day, posted_at, None, "")
            )  # fmt: skip
            balance -= co45
            ledger.add(
                (ledger.ids(), ws, pid, claim_id, ln, 3, "adjustment", -co45, balance, "CO",
                 "45", None, era_id, day, posted_at, None, "")
            )  # fmt: skip
            if pr:
                ledger.add(
                    (ledger.ids(), ws, pid, claim_id, ln, 4, "patient_resp", -pr, ZERO, "PR",
                     "2", None, era_id, day, posted_at, None, "")
                )  # fmt: skip
        charge_total = sum((c for _, _, c in lines), ZERO)
        status = "4" if state == S.DENIED else "1"
        t[EraClaim].add(
            (ec, ws, pid, era_id, claim_id, number, status, charge_total, total_paid, total_pr,
             pcn, [], [], "exception" if held else "posted")
        )  # fmt: skip
        era[1] += total_paid
        era[2] += 1
        final = state
        if held:
            era[4] += 1
            denied = state == S.DENIED
            detail = (
                f"Claim {number}: auto-posting is off for this practice and payer; review and post."
            )
            self._exception(era_id, ec, claim_id, "policy_hold", detail,
                            charge_total if denied else total_paid, day)  # fmt: skip
            if not denied:
                final = S.ACCEPTED
                denial_rows = []
        else:
            era[3] += 1
        for ln, amount in denial_rows:
            self._denial(claim_id, ln, era_id, ec, payer, carc, amount, day)
        self._oddities(era, payer, number, claim_id, total_paid, final)
        return final

    def _denial(
        self, claim_id: int, ln: int, era_id: int, ec: int, payer: Any, carc: str,
        amount: Decimal, day: date,
    ) -> None:  # fmt: skip
        age = (self.today - day).days
        rng = self.rng
        if age > 180:
            status = rng.choices(DENIAL_OLD, (40, 25, 15, 20))[0]
        elif age > 60:
            status = rng.choices(DENIAL_MIDDLE, (50, 20, 20, 10))[0]
        else:
            status = rng.choices(("open", "in_progress"), (85, 15))[0]
        assignee = self.denials_user_id if status == "in_progress" and rng.random() < 0.3 else None
        # A closed denial says where it started (required when closing since H13).
        cause = rng.choice(ROOT_CAUSES) if status in CLOSED_STATUSES else ""
        self.t[Denial].add(
            (self.t[Denial].ids(), self.ws, self.pid, claim_id, ln, era_id, ec, payer.pk, "CO",
             carc, [], amount, default_table().category(carc, "CO", (), day).value, day,
             day + timedelta(days=payer.appeal_limit_days), status, assignee, cause,
             at(day, 15))
        )  # fmt: skip

    def _exception(
        self, era_id: int, ec: int | None, claim_id: int | None, reason: str, detail: str,
        amount: Decimal, day: date,
    ) -> None:  # fmt: skip
        old = (self.today - day).days > 60 and reason == "unmatched_claim"
        self.t[EraException].add(
            (self.t[EraException].ids(), self.ws, self.pid, era_id, ec, claim_id, reason,
             detail[:300], amount, "dismissed" if old else "open", at(day, 15),
             at(day + timedelta(days=3)) if old else None, self.owner_id if old else None,
             "Not a patient of this practice; returned to the payer." if old else "")
        )  # fmt: skip

    def _oddities(
        self, era: list[Any], payer: Any, number: str, claim_id: int, paid: Decimal, state: str
    ) -> None:
        """Now and then, a claim loop matching nothing of ours, or a payer taking money back."""
        rng, t = self.rng, self.t
        day = era[5]
        if rng.random() < 0.0005:
            ec = t[EraClaim].ids()
            ghost = f"{self.f.practice.code}-9{ec % 10**6:06d}"
            amount = Decimal(rng.randint(2000, 30000)) / 100
            t[EraClaim].add(
                (ec, self.ws, self.pid, era[0], None, ghost, "1", amount, amount, ZERO, "",
                 [], [], "exception")
            )  # fmt: skip
            era[1] += amount
            era[2] += 1
            era[4] += 1
            self._exception(era[0], ec, None, "unmatched_claim",
                            f"CLP01 {ghost} (paid {amount}) matches no claim of this practice.",
                            amount, day)  # fmt: skip
        if state == S.PAID and paid > 0 and rng.random() < 0.0004:
            later = self._era(payer.pk, day + timedelta(days=rng.randint(14, 60)))
            if later is era:
                return
            ec = t[EraClaim].ids()
            t[EraClaim].add(
                (ec, self.ws, self.pid, later[0], claim_id, number, "1", ZERO, -paid, ZERO, "",
                 [adj("CO", "72", paid)], [], "exception")
            )  # fmt: skip
            later[1] -= paid
            later[2] += 1
            later[4] += 1
            detail = (
                f"Claim {number} is not a reversal but carries negative amounts "
                f"(paid {-paid}): the payer is taking money back."
            )
            self._exception(later[0], ec, claim_id, "takeback", detail, paid, later[5])

    def _close_practice(self) -> None:
        """The practice's batches, their 999s, and its ERAs, now that their totals are known."""
        t, ws, pid, code = self.t, self.ws, self.pid, self.f.practice.code
        for day, (bid, count, total) in sorted(self.batches.items()):
            self.icn += 1
            name = f"{code}-{day:%Y%m%d}-{self.icn:09d}.837"
            t[Batch].add(
                (bid, ws, pid, "folder", self.icn, name, PLACEHOLDER, count, total, at(day, 17),
                 self.owner_id)
            )  # fmt: skip
            if (self.today - day).days >= 1:
                t[Acknowledgement].add(
                    (t[Acknowledgement].ids(), ws, pid, "999", bid, None, True, "A", "",
                     f"999-{self.icn:09d}.txt", at(day, 21))
                )  # fmt: skip
        for (payer_pk, _), (eid, paid, n, ok, exc, day) in self.eras.items():
            payer = self.payer[payer_pk]
            status = "posted" if not exc else ("exception" if not ok else "partial")
            t[Era].add(
                (eid, ws, pid, payer_pk, payer.name[:60], payer.payer_id,
                 f"{payer.payer_id}{eid:010d}", paid, "C", "ACH" if paid > 0 else "NON", day,
                 paid, ZERO, n, ok, exc, status, [], f"{payer.payer_id}-{day:%Y%m%d}-{eid}.835",
                 f"{eid % 10**9:09d}", PLACEHOLDER, at(day, 14), None)
            )  # fmt: skip


def generate_claims(
    book: Book, n_claims: int, rng: random.Random, today: date, say: Callable[[str], None]
) -> ClaimWriter:
    writer = ClaimWriter(book, rng, today)
    n = len(book.practices)
    for i, facts in enumerate(book.practices):
        quota = n_claims // n + (1 if i < n_claims % n else 0)
        last = writer.practice(facts, quota)
        facts.practice.claim_sequence = last
        facts.practice.save(update_fields=["claim_sequence"])
        if (i + 1) % max(1, n // 10) == 0 or i + 1 == n:
            say(f"  practices {i + 1}/{n}: {sum(writer.states.values()):,} claims")
    writer.flush()
    from bureau.claims.models import ControlNumber

    ControlNumber.objects.update_or_create(
        workspace=book.workspace, defaults={"last_value": writer.icn}
    )
    return writer
