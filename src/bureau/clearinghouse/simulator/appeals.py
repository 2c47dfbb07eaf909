"""The simulated payer's appeals desk: appeals in, decisions out (issue 13).

How the payer learns of an appeal. An appeal goes to a payer by portal, fax, mail or EDI —
never through the claim route the 837s take — so nothing in the denials app pushes it here.
The simulated cycle plays the mail room instead: each simulated day it hands the simulator the
appeals that are submitted (submitted on or before that day) and have no outcome yet
(`receive`), the way `transmit_batches` hands it the day's 837 files. The desk keeps what it
received in its own folder, so an appeal handed in again is not reviewed twice.

What the payer remembers. A payer decides an appeal against its own record of the claim, not
against the letter: every pay run remembers the claims it denied in whole or in part
(`remember`, from `SimulatorPort._pay_run`), keyed by payer and claim number.

The decision. Pure and deterministic: `rng_for(seed, "appeal", payer, claim, level)` picks
overturned / partially overturned / upheld with the shares of `OVERTURN` for the denial's
category (coding and missing information are often won, timely filing almost never), lower at
higher levels. Review takes `REVIEW_DAYS` by payer kind (shortened from the statutory 60 days so
a 90-day demo shows decisions). Then:

- overturned or partially overturned: on the payer's first payment run after the decision an
  835 carries the reversal of the original claim payment (CLP02 = 22) and the claim paid again
  (CLP02 = 1/2/3, same CLP07): the denied lines at the contract rate (a share of it when partly
  overturned, the rest CO-45), the lines paid before unchanged. Reversal first because the
  denial's adjustment already closed the line in the ledger: paying on top of it would be an
  overpayment; reversed, the line is open again and the poster posts the payment and records
  the appeal's outcome and amount by itself (`appeals_paid_by_payer`).
- upheld: nothing is paid, so no 835 says so. The payer mails a decision letter: a record in
  `letters/`, due `MAIL_DAYS` after the decision, that the cycle's mail room takes in as the
  upheld outcome (dated the decision day), which opens the next level's clock.

Folders under the simulator's root: `appeals/claims/` (the remembered denied claims),
`appeals/received/` (one record per appeal taken in, with its decision), `appeals/reviewing/`
(one claim reviewed at a time: a second appeal on the same claim waits until the first is
decided and paid), `appeals/letters/` and `appeals/letters/delivered/`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bureau.clearinghouse.folder import safe_name
from bureau.clearinghouse.simulator import adjudication as adj
from bureau.clearinghouse.simulator import store
from bureau.clearinghouse.simulator.profiles import DENIAL_MIX, PayerProfile
from bureau.x12.remit835 import STATUS_DENIED, Adjustment, ClaimPayment, ServicePayment

ZERO = Decimal("0.00")
OVERTURNED, PARTIAL, UPHELD = "overturned", "partial", "upheld"  # = denials AppealOutcome


@dataclass(frozen=True, slots=True)
class Shares:
    """Of the appeals in a category: the share overturned, and the share partly overturned."""

    overturned: float
    partial: float


# By the denial's category (denials.DenialCategory values). Plausible figures, not a payer's:
# paperwork denials are won on appeal, judgement calls sometimes, timely filing and duplicates
# almost never.
OVERTURN: dict[str, Shares] = {
    "missing_info": Shares(0.70, 0.10),
    "coding": Shares(0.60, 0.15),
    "bundling": Shares(0.45, 0.20),
    "authorization": Shares(0.40, 0.10),
    "credentialing": Shares(0.40, 0.05),
    "medical_necessity": Shares(0.30, 0.15),
    "frequency": Shares(0.30, 0.10),
    "cob": Shares(0.30, 0.05),
    "eligibility": Shares(0.20, 0.05),
    "duplicate": Shares(0.08, 0.02),
    "timely_filing": Shares(0.04, 0.01),
}
DEFAULT_SHARES = Shares(0.35, 0.10)
# A second look by the same payer (or Medicare's QIC) overturns less often than the first.
LEVEL_FACTOR = {1: 1.0, 2: 0.75}
LATER_LEVEL_FACTOR = 0.6
# A partial overturn pays this share of the contract rate on the denied lines.
PARTIAL_PAY = (Decimal("0.40"), Decimal("0.75"))
# Days from receipt to decision, by profile name.
REVIEW_DAYS: dict[str, tuple[int, int]] = {
    "medicare": (20, 40),
    "medicaid": (25, 45),
    "commercial": (14, 35),
    "other": (14, 35),
}
MAIL_DAYS = 3


@dataclass(frozen=True, slots=True)
class AppealRecord:
    """An appeal as the payer receives it: which claim, which level, what was denied."""

    appeal_id: str  # the sender's reference for the appeal (echoed on the decision letter)
    level: int
    category: str
    payer_id: str
    claim_number: str  # CLM01 / CLP01
    payer_claim_number: str  # CLP07
    submitted_on: date


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: str  # OVERTURNED / PARTIAL / UPHELD
    share: Decimal  # of the contract rate paid on the denied lines (0 when upheld)


def shares_for(category: str, level: int) -> Shares:
    base = OVERTURN.get(category, DEFAULT_SHARES)
    factor = LEVEL_FACTOR.get(level, LATER_LEVEL_FACTOR)
    return Shares(base.overturned * factor, base.partial * factor)


def decide(record: AppealRecord, *, seed: int | str) -> Decision:
    """The payer's decision: a pure function of seed, payer, claim, level and category."""
    rng = adj.rng_for(seed, "appeal", record.payer_id, record.claim_number, str(record.level))
    shares = shares_for(record.category, record.level)
    roll = rng.random()
    if roll < shares.overturned:
        return Decision(OVERTURNED, Decimal(1))
    if roll < shares.overturned + shares.partial:
        low, high = PARTIAL_PAY
        share = low + (high - low) * Decimal(str(round(rng.random(), 2)))
        return Decision(PARTIAL, share.quantize(Decimal("0.01")))
    return Decision(UPHELD, ZERO)


def review_days(record: AppealRecord, profile: PayerProfile, *, seed: int | str) -> int:
    low, high = REVIEW_DAYS.get(profile.name, REVIEW_DAYS["other"])
    rng = adj.rng_for(seed, "appeal-review", record.payer_id, record.claim_number)
    return rng.randint(low, high) + 7 * (record.level - 1)


# The payer's own denial reasons (a line paid nothing for its deductible or a prior payer's
# payment is not denied; a line paid in part after an appeal, the rest still denied, is).
DENIAL_CODES = frozenset((reason.group, reason.carc) for _, reason in DENIAL_MIX)


def _denials(svc: ServicePayment) -> list[Adjustment]:
    return [a for a in svc.adjustments if (a.group, a.reason) in DENIAL_CODES and a.amount > 0]


def _denied(svc: ServicePayment, whole: bool) -> bool:
    return svc.charge > 0 and (whole or bool(_denials(svc)))


def has_denial(payment: ClaimPayment) -> bool:
    """The claim was denied, or some line of it is (by one of the payer's denial reasons)."""
    if payment.is_reversal:
        return False
    whole = payment.status == STATUS_DENIED
    return any(_denied(s, whole) for s in payment.services)


def overturned_payment(
    original: ClaimPayment,
    decision: Decision,
    profile: PayerProfile,
    rates: adj.RateLookup,
) -> ClaimPayment:
    """The claim paid again after the appeal: each denied line allowed at the contract rate
    (charge above it CO-45), coinsurance as the profile says; partly overturned, only
    `decision.share` of the rate is allowed and the rest stays denied under the original
    reason. Lines paid before are repeated as they were. AMT*B6 = what the payer allows, so
    paid + patient share = allowed on every line; charge − paid = Σ CAS by construction."""
    whole = original.status == STATUS_DENIED
    services: list[ServicePayment] = []
    for svc in original.services:
        if not _denied(svc, whole):
            services.append(svc)
            continue
        units = svc.units or Decimal(1)
        rate = rates(svc.procedure_code, svc.modifiers[0] if svc.modifiers else "")
        full = adj.money(svc.charge * profile.allowed_share if rate is None else rate * units)
        full = min(full, svc.charge)
        allowed = adj.money(full * decision.share)
        coinsurance = adj.money(allowed * profile.coinsurance)
        adjustments = []
        if svc.charge > full:
            adjustments.append(Adjustment("CO", "45", svc.charge - full))
        if full > allowed:  # partly overturned: the rest stays denied, for the same reason
            reason = max(_denials(svc), key=lambda a: a.amount, default=None)
            group, carc = (reason.group, reason.reason) if reason else ("CO", "50")
            adjustments.append(Adjustment(group, carc, full - allowed))
        if coinsurance > 0:
            adjustments.append(Adjustment("PR", "2", coinsurance))
        services.append(
            svc._replace(
                paid=allowed - coinsurance,
                allowed=allowed,
                adjustments=tuple(adjustments),
                remark_codes=svc.remark_codes if full > allowed else (),
            )
        )
    paid = sum((s.paid for s in services), ZERO)
    patient = sum((a.amount for s in services for a in s.adjustments if a.group == "PR"), ZERO)
    return original._replace(
        status=original.status if original.status in ("1", "2", "3") else "1",
        paid=paid,
        patient_responsibility=patient,
        adjustments=(),
        remark_codes=(),
        services=tuple(services),
    )


def _plain(text: str) -> str:
    """A file name from ids the sender chose: letters, digits and hyphens only."""
    return "".join(c if c.isascii() and (c.isalnum() or c == "-") else "_" for c in text)[:120]


def _stamp(day: date) -> str:
    return day.strftime("%Y%m%d")


class AppealDesk:
    """The simulator's appeals desk for one workspace (files under `<root>/appeals/`)."""

    def __init__(self, root: Path, *, seed: int, book: Any) -> None:
        self.root = Path(root)
        self.seed = seed
        self.book = book  # port.PayerBook: the payer's profiles and contract rates

    def _dir(self, *names: str) -> Path:
        path = self.root.joinpath("appeals", *names)
        path.mkdir(parents=True, exist_ok=True)
        return path

    @staticmethod
    def _key(payer_id: str, claim_number: str) -> str:
        return _plain(f"{payer_id}-{claim_number}") + ".json"

    # Memory of denied claims (from the pay runs) --------------------------------------------

    def remember(self, head: dict[str, Any], claims: list[ClaimPayment]) -> None:
        """A pay run sent these claims: keep those with a denial to review appeals against;
        a reversal makes the payer's earlier word void (the claim is paid again after it)."""
        folder = self._dir("claims")
        payer_id = head["payer"]
        profile = self.book.profile(payer_id)
        kept = {k: head[k] for k in ("payer", "payer_name", "npi", "tax_id", "payee_name")}
        kept["receiver"] = head["receiver"]
        for claim in claims:
            path = folder / self._key(payer_id, claim.patient_control_number)
            if not has_denial(claim):
                path.unlink(missing_ok=True)
                continue
            # A partly paid claim the payer will reverse and re-adjudicate by itself (the
            # port schedules that at submission): its denial is moot, no appeal is reviewed.
            # (A claim paid again after an appeal — one is under review — is always kept.)
            key = self._key(payer_id, claim.patient_control_number)
            appealed = (self._dir("reviewing") / key).exists()
            stub = SimpleNamespace(
                payer_id=payer_id, patient_control_number=claim.patient_control_number
            )
            if (
                not appealed
                and adj.is_paid(claim)
                and adj.reversal_delay(stub, profile, seed=self.seed)  # type: ignore[arg-type]
            ):
                continue
            store.write_json(path, {"head": kept, "claim": store.claim_to_json(claim)})

    def remembered(
        self, payer_id: str, claim_number: str
    ) -> tuple[dict[str, Any], ClaimPayment] | None:
        found = store.read_json(self._dir("claims") / self._key(payer_id, claim_number), None)
        if found is None:
            return None
        return found["head"], store.claim_from_json(found["claim"])

    # Receiving and deciding -----------------------------------------------------------------

    def received(self, appeal_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = store.read_json(
            self._dir("received") / (_plain(appeal_id) + ".json"), None
        )
        return found

    def receive(self, records: list[AppealRecord], day: date) -> list[str]:
        """Take in the day's appeals; returns the ids reviewed from today. Already received,
        about a claim this payer never denied, or about a claim under review: left alone (the
        last are handed in again tomorrow)."""
        taken: list[str] = []
        for record in sorted(records, key=lambda r: (r.submitted_on, r.appeal_id)):
            if record.submitted_on > day or self.received(record.appeal_id) is not None:
                continue
            memory = self.remembered(record.payer_id, record.claim_number)
            if memory is None:
                continue
            lock = self._dir("reviewing") / self._key(record.payer_id, record.claim_number)
            busy = store.read_json(lock, None)
            if busy is not None and busy["until"] >= day.isoformat():
                continue
            head, original = memory
            until = self._decide(record, head, original, day)
            store.write_json(lock, {"appeal": record.appeal_id, "until": until.isoformat()})
            taken.append(record.appeal_id)
        return taken

    def _decide(
        self, record: AppealRecord, head: dict[str, Any], original: ClaimPayment, day: date
    ) -> date:
        """Decide now, act on the decision day; returns the day the payer's answer is out."""
        profile = self.book.profile(record.payer_id)
        decision = decide(record, seed=self.seed)
        decided_on = day + timedelta(days=review_days(record, profile, seed=self.seed))
        entry: dict[str, Any] = {
            **asdict(record),
            "submitted_on": record.submitted_on.isoformat(),
            "received_on": day.isoformat(),
            "outcome": decision.outcome,
            "share": str(decision.share),
            "decided_on": decided_on.isoformat(),
        }
        if decision.outcome == UPHELD:
            out = decided_on + timedelta(days=MAIL_DAYS)
            letter = {
                "appeal_id": record.appeal_id,
                "claim_number": record.claim_number,
                "payer_id": record.payer_id,
                "level": record.level,
                "outcome": UPHELD,
                "decided_on": decided_on.isoformat(),
            }
            name = f"{_stamp(out)}-{_plain(record.appeal_id)}.json"
            store.write_json(self._dir("letters") / name, letter)
        else:
            rates = self.book.lookup(head["npi"], record.payer_id)
            paid = overturned_payment(original, decision, profile, rates)
            out = adj.payment_run(decided_on, profile)
            claims = [store.claim_to_json(adj.reversal_of(original)), store.claim_to_json(paid)]
            path = self.root / "schedule" / f"{_stamp(out)}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            store.write_json(path, store.read_json(path, []) + [{**head, "claims": claims}])
            entry["paid"] = str(paid.paid - original.paid)
        entry["out_on"] = out.isoformat()
        store.write_json(self._dir("received") / (_plain(record.appeal_id) + ".json"), entry)
        return out

    # The mail: decision letters ---------------------------------------------------------------

    def letters_due(self, day: date) -> list[tuple[str, dict[str, Any]]]:
        folder = self._dir("letters")
        due = sorted(p for p in folder.glob("*.json") if p.name[:8] <= _stamp(day))
        return [(p.name, store.read_json(p, {})) for p in due]

    def letter_delivered(self, name: str) -> None:
        source = self._dir("letters") / safe_name(name)
        if source.exists():
            source.replace(self._dir("letters", "delivered") / source.name)
