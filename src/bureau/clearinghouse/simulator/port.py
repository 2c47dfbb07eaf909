"""The payer simulator as a clearinghouse route: submit 837P files, poll 999/277CA/835 back.

State lives in VAR_DIR/clearinghouse/simulator/<workspace slug>/:

    received/    the 837P files as submitted
    pending/     responses waiting for delivery, named `<YYYYMMDD>-<n>-<kind>-….x12` by the
                 simulated day they are due (n orders a day's files: 999, then 277CA, then 835)
    delivered/   responses the caller acknowledged
    schedule/    `<YYYYMMDD>.json`: adjudicated claims waiting for that day's payment run
    claims/      `<payer claim number>.json`: each adjudicated claim as the payer holds it,
                 for the replacements (CLM05-3 = 7) and voids (8) that name it in REF*F8
    state.json   counters (interchange control numbers, trace numbers) and recent payments

On submit the simulator answers at once with a 999 and a 277CA due the next day and
adjudicates every accepted claim, scheduling it on the payer's first payment run (fixed
weekdays per profile) 10–35 days later — and, now and then, a reversal with re-adjudication a
few weeks after that. On poll it first
writes the 835s of every payment run due — one 835, one TRN, per payer × payee × day — then
lists what is due. "Today" is the `as_of` the caller names, else the simulated day set with
`simulated(day)` (the `bureau simulate` cycle), else the local date.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bureau import clock
from bureau.clearinghouse.folder import write_atomic
from bureau.clearinghouse.ports import ClearinghouseError, InboundFile
from bureau.clearinghouse.simulator import adjudication as adj
from bureau.clearinghouse.simulator import responses, store
from bureau.clearinghouse.simulator.appeals import AppealDesk
from bureau.clearinghouse.simulator.profiles import PayerProfile, profile_for
from bureau.x12.errors import X12Error
from bureau.x12.reader837 import read_837p_summary
from bureau.x12.remit835 import ClaimPayment
from bureau.x12.submitted837 import Submitted837, SubmittedClaim

ROUTE = "simulator"
DEFAULT_SEED = 2026
RECOVERABLE_KEPT = 40  # recent paid claims per payer × payee a WO recovery may point at

_DAY: contextvars.ContextVar[date | None] = contextvars.ContextVar("simulated_day", default=None)
_SEED: contextvars.ContextVar[int | None] = contextvars.ContextVar("simulator_seed", default=None)


@contextmanager
def simulated(day: date, *, seed: int | None = None) -> Iterator[None]:
    """Run the enclosed transmissions and polls as of `day` (and with `seed`)."""
    day_token = _DAY.set(day)
    seed_token = _SEED.set(seed) if seed is not None else None
    try:
        with clock.business_day(day):
            yield
    finally:
        _DAY.reset(day_token)
        if seed_token is not None:
            _SEED.reset(seed_token)


@dataclass(frozen=True)
class PayerBook:
    """What the payer knows of its own contracts: kind and name per payer id, and contracted
    allowed amounts per (billing NPI, payer id, code, modifier)."""

    kinds: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    rates: dict[tuple[str, str, str, str], Decimal] = field(default_factory=dict)

    def profile(self, payer_id: str) -> PayerProfile:
        return profile_for(self.kinds.get(payer_id, "other"), payer_id)

    def lookup(self, npi: str, payer_id: str) -> adj.RateLookup:
        def rate(code: str, modifier: str) -> Decimal | None:
            if modifier:
                found = self.rates.get((npi, payer_id, code, modifier))
                if found is not None:
                    return found
            return self.rates.get((npi, payer_id, code, ""))

        return rate


def book_for(workspace: Any) -> PayerBook:
    """The workspace's payers and contract rates (control data, not PHI)."""
    from bureau.directory.models import ContractRate, Payer

    payers = Payer.objects.filter(workspace=workspace).values_list("payer_id", "kind", "name")
    rates = ContractRate.objects.filter(workspace=workspace).values_list(
        "practice__npi", "payer__payer_id", "code", "modifier", "allowed_amount"
    )
    return PayerBook(
        kinds={pid: kind for pid, kind, _ in payers},
        names={pid: name for pid, _, name in payers},
        rates={(npi, pid, code, mod): amount for npi, pid, code, mod, amount in rates},
    )


def simulator_root(workspace: Any) -> Path:
    from django.conf import settings

    return Path(settings.VAR_DIR) / "clearinghouse" / ROUTE / str(workspace.slug)


def _stamp(day: date) -> str:
    return day.strftime("%Y%m%d")


class SimulatorPort:
    route = ROUTE

    def __init__(
        self,
        workspace: Any,
        *,
        root: Path | None = None,
        seed: int | None = None,
        book: PayerBook | None = None,
    ) -> None:
        self.workspace = workspace
        self.root = Path(root) if root is not None else simulator_root(workspace)
        self._seed = seed
        self._book = book

    # Folders and counters ---------------------------------------------------------------

    @property
    def seed(self) -> int:
        if self._seed is not None:
            return self._seed
        return _SEED.get() or int(self._state().get("seed", DEFAULT_SEED))

    @property
    def book(self) -> PayerBook:
        if self._book is None:
            self._book = book_for(self.workspace)
        return self._book

    def _dir(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _state(self) -> dict[str, Any]:
        state: dict[str, Any] = store.read_json(self.root / "state.json", {})
        return state

    def _save_state(self, state: dict[str, Any]) -> None:
        store.write_json(self.root / "state.json", state)

    def _next(self, state: dict[str, Any], counter: str) -> int:
        value = int(state.get(counter, 0)) + 1
        state[counter] = value
        return value

    def _today(self, as_of: date | None) -> date:
        if as_of is not None:
            return as_of
        day = _DAY.get()
        if day is not None:
            return day
        from django.utils import timezone

        return timezone.localdate()

    def _pend(self, day: date, order: int, kind: str, stem: str, text: str) -> None:
        name = f"{_stamp(day)}-{order}-{kind}-{stem}.x12"
        write_atomic(self._dir("pending") / name, text)

    # The port ---------------------------------------------------------------------------

    def submit(self, name: str, content: str, *, as_of: date | None = None) -> None:
        from bureau.clearinghouse.folder import safe_name

        target = self._dir("received") / safe_name(name)
        if target.exists():
            return  # a retried transmission: the payer already has (and answered) this file
        try:
            summaries = read_837p_summary(content)
        except X12Error as exc:
            raise ClearinghouseError(f"simulator cannot read {name}: {exc}") from exc
        day = self._today(as_of)
        state = self._state()
        state.setdefault("seed", self.seed)
        schedule: dict[date, list[dict[str, Any]]] = {}
        for summary in summaries:
            self._answer(summary, day, state, schedule)
        for pay_day, items in schedule.items():
            path = self._dir("schedule") / f"{_stamp(pay_day)}.json"
            store.write_json(path, store.read_json(path, []) + items)
        self._save_state(state)
        write_atomic(target, content)

    def _answer(
        self,
        summary: Submitted837,
        day: date,
        state: dict[str, Any],
        schedule: dict[date, list[dict[str, Any]]],
    ) -> None:
        seed, book = self.seed, self.book
        next_day = day + timedelta(days=1)
        stem = f"{summary.sender_id}-{summary.interchange_control_number}"
        first_payer = summary.claims[0].payer_id if summary.claims else ""
        file_rate = book.profile(first_payer).file_reject_rate
        accepted = adj.rng_for(seed, "999", stem).random() >= file_rate
        text = responses.write_999_for(
            summary, accepted=accepted, control_number=self._next(state, "icn"), day=next_day
        )
        self._pend(next_day, 1, "999", stem, text)
        if not accepted or not summary.claims:
            return
        statuses = []
        for claim in summary.claims:
            profile = book.profile(claim.payer_id)
            correction = claim.frequency in adj.CORRECTIONS
            original = self._known(claim.original_reference) if correction else None
            outcome = adj.front_door(claim, profile, seed=seed, knows_original=original is not None)
            statuses.append(responses.claim_status(claim, outcome, day=next_day, seed=seed))
            if not outcome.accepted:
                continue
            if original is not None:
                self._correct(claim, profile, day, schedule, summary, original)
            else:
                self._schedule(claim, profile, day, schedule, summary)
        text = responses.write_277ca_for(
            summary, statuses, control_number=self._next(state, "icn"), day=next_day
        )
        self._pend(next_day, 2, "277CA", stem, text)

    def _schedule(
        self,
        claim: SubmittedClaim,
        profile: PayerProfile,
        day: date,
        schedule: dict[date, list[dict[str, Any]]],
        summary: Submitted837,
    ) -> None:
        seed = self.seed
        rates = self.book.lookup(claim.billing_npi, claim.payer_id)
        payment = adj.adjudicate(claim, profile, seed=seed, rates=rates)
        pay_day = self._pay_day(claim, profile, day)
        head = self._head(claim, summary)
        later = adj.reversal_delay(claim, profile, seed=seed) if adj.is_paid(payment) else None
        clean = payment  # what the payer holds, whatever it garbles on the way out
        if later is None:  # a claim the payer garbles is never also reversed: one puzzle each
            garbled = adj.rekeyed(payment, claim, seed=seed)
            payment = garbled if garbled != payment else adj.downcoded(payment, claim, seed=seed)
        schedule.setdefault(pay_day, []).append({**head, "claims": [store.claim_to_json(payment)]})
        if later is not None:
            corrected = adj.adjudicate(claim, profile, seed=seed, rates=rates, revision=1)
            if corrected.paid == payment.paid:
                corrected = adj.adjudicate(claim, profile, seed=seed, rates=rates, revision=2)
            claims = [adj.reversal_of(payment), corrected]
            again = adj.payment_run(pay_day + timedelta(days=later), profile)
            schedule.setdefault(again, []).append(
                {**head, "claims": [store.claim_to_json(c) for c in claims]}
            )
            clean, pay_day = corrected, again
        self._remember(clean, pay_day)

    # Corrections (CLM05-3 = 7 replacement, 8 void) -----------------------------------------
    #
    # The payer remembers each claim it adjudicated under its own number (CLP07, 277CA REF*1K)
    # in `claims/<number>.json`: the payment as it stands and the day it was (last) paid. A
    # replacement or void naming that number in REF*F8 is answered on one payment run, no
    # earlier than the original's: the original's payment reversed (CLP02 = 22, every amount
    # negated, the original's CLP01 and CLP07 — a zero-pay reversal when it was denied), then,
    # for a replacement, the new claim adjudicated under its own number and not denied again.
    # A void's answer is the reversal alone. An original is reversed once, however many
    # corrections name it.

    def _claim_file(self, number: str) -> Path:
        safe = "".join(c for c in number if c.isalnum())[:50] or "_"
        return self._dir("claims") / f"{safe}.json"

    def _known(self, number: str) -> dict[str, Any] | None:
        if not number.strip():
            return None
        found: dict[str, Any] | None = store.read_json(self._claim_file(number), None)
        return found

    def _remember(self, payment: ClaimPayment, pay_day: date, **extra: Any) -> None:
        record = {"payment": store.claim_to_json(payment), "pay_day": pay_day.isoformat()}
        store.write_json(self._claim_file(payment.payer_claim_number), record | extra)

    def _correct(
        self,
        claim: SubmittedClaim,
        profile: PayerProfile,
        day: date,
        schedule: dict[date, list[dict[str, Any]]],
        summary: Submitted837,
        original: dict[str, Any],
    ) -> None:
        pay_day = max(self._pay_day(claim, profile, day), date.fromisoformat(original["pay_day"]))
        answer: list[ClaimPayment] = []
        held = store.claim_from_json(original["payment"])
        if not original.get("reversed"):
            answer.append(adj.reversal_of(held))
            self._remember(held, pay_day, reversed=True)
        if claim.frequency == "7":
            rates = self.book.lookup(claim.billing_npi, claim.payer_id)
            payment = adj.adjudicate(claim, profile, seed=self.seed, rates=rates, corrected=True)
            answer.append(payment)
            self._remember(payment, pay_day)
        if answer:
            schedule.setdefault(pay_day, []).append(
                {**self._head(claim, summary), "claims": [store.claim_to_json(c) for c in answer]}
            )

    def _pay_day(self, claim: SubmittedClaim, profile: PayerProfile, day: date) -> date:
        delay = adj.payment_delay(claim, profile, seed=self.seed)
        return adj.payment_run(day + timedelta(days=delay), profile)

    def _head(self, claim: SubmittedClaim, summary: Submitted837) -> dict[str, Any]:
        return {
            "payer": claim.payer_id,
            "payer_name": self.book.names.get(claim.payer_id) or claim.payer_name,
            "npi": claim.billing_npi,
            "tax_id": claim.billing_tax_id,
            "payee_name": summary.billing_name,
            "receiver": summary.sender_id,  # our submitter id (the 837's ISA06)
        }

    def poll(self, *, as_of: date | None = None) -> list[InboundFile]:
        day = self._today(as_of)
        self._pay_runs(day)
        pending = self.root / "pending"
        if not pending.is_dir():
            return []
        due = _stamp(day)
        files = sorted(p for p in pending.iterdir() if p.suffix == ".x12" and p.name[:8] <= due)
        return [InboundFile(p.name, p.read_text(encoding="ascii")) for p in files]

    def acknowledge(self, name: str) -> None:
        self._move(name, "delivered")

    def reject(self, name: str) -> None:
        self._move(name, "delivered", suffix=".error")

    def _move(self, name: str, folder: str, *, suffix: str = "") -> None:
        from bureau.clearinghouse.folder import safe_name

        source = self.root / "pending" / safe_name(name)
        if source.exists():
            source.replace(self._dir(folder) / (name + suffix))

    # Payment runs -----------------------------------------------------------------------

    def _pay_runs(self, day: date) -> None:
        folder = self.root / "schedule"
        if not folder.is_dir():
            return
        due = sorted(p for p in folder.glob("*.json") if p.stem <= _stamp(day))
        if not due:
            return
        state = self._state()
        for path in due:
            run_day = date(int(path.stem[:4]), int(path.stem[4:6]), int(path.stem[6:8]))
            self._pay_run(run_day, store.read_json(path, []), state)
            self._save_state(state)
            path.unlink()

    def _pay_run(self, day: date, items: list[dict[str, Any]], state: dict[str, Any]) -> None:
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for item in items:
            groups.setdefault((item["payer"], item["npi"]), []).append(item)
        for (payer_id, npi), group in sorted(groups.items()):
            claims = [store.claim_from_json(c) for item in group for c in item["claims"]]
            first = group[0]
            receiver = first["receiver"]
            profile = self.book.profile(payer_id)
            key = f"{payer_id}|{npi}"
            history: dict[str, list[list[str]]] = state.setdefault("paid", {})
            recoverable = [(pcn, Decimal(amount)) for pcn, amount in history.get(key, [])]
            rng = adj.rng_for(self.seed, "plb", payer_id, npi, _stamp(day))
            plb = responses.provider_adjustments(
                rng, claims, profile=profile, npi=npi, day=day, recoverable=recoverable
            )
            trace = f"{_stamp(day)}{self._next(state, 'trace'):06d}"
            remit = responses.remittance(
                payer_id=payer_id,
                payer_name=first["payer_name"],
                payee_name=first["payee_name"] or f"PROVIDER {npi}",
                payee_npi=npi,
                payee_tax_id=first["tax_id"],
                profile=profile,
                claims=claims,
                plb=plb,
                day=day,
                trace_number=trace,
                receiver_id=receiver,
            )
            text = responses.write_835_for(
                remit, sender=payer_id, receiver=receiver, control_number=self._next(state, "icn")
            )
            self._pend(day, 3, "835", f"{responses.party_id(payer_id)}-{npi}-{trace}", text)
            # The payer keeps its denials on file to review appeals of them against.
            AppealDesk(self.root, seed=self.seed, book=self.book).remember(first, claims)
            paid = [[c.patient_control_number, str(c.paid)] for c in claims if _recoverable(c)]
            history[key] = (history.get(key, []) + paid)[-RECOVERABLE_KEPT:]


def _recoverable(claim: ClaimPayment) -> bool:
    return adj.is_paid(claim) and claim.status != "22"
