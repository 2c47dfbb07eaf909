"""Posting the claims of one saved ERA, a chunk at a time: match, check, post, deny, flag.

`ClaimPoster.post` takes up to `posting.CHUNK` claims, reads what they need in a few queries
(claims, lines, ledger heads, reversal originals, contract rates), decides per claim in memory and
writes with bulk inserts; `finish` closes the ERA (its balancing exception, PLB entries, counts,
audit). Nothing but what a chunk wrote carries over to the next.

Per claim loop (CLP), in order: no match → UNMATCHED_CLAIM; a reversal (CLP02 = 22) reverses the
claim's earlier postings (none found → TAKEBACK, unless a replacement or void closed the claim:
then the payer acknowledges what we already reversed, and a void is answered); a service line we
cannot find → UNMATCHED_LINE; negative amounts → TAKEBACK; paid above the charge, the contract
(+ tolerance) or the line's open balance → OVERPAYMENT; auto-posting off, or a denial while
denials are not auto-posted → POLICY_HOLD. Otherwise each line posts: PAYMENT −paid, PR →
transfer to patient, other groups → ADJUSTMENT. Claim-level CAS amounts (and the payment of a
claim sent without service lines) are spread over the claim's lines in line order, each up to
the line's remaining balance; whatever is left lands on the last line, so nothing the payer
reported is dropped.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.claims.corrections import corrected_originals, voids_answered
from bureau.claims.models import Claim, ClaimLine, ClaimState
from bureau.claims.services import ALLOWED_TRANSITIONS, claims_transition, set_payer_claim_numbers
from bureau.configuration.resolver import settings_for
from bureau.denials.appeal_payer import paid_as_allowed
from bureau.denials.appeals import appeals_paid_by_payer
from bureau.denials.categories import CategoryTable
from bureau.denials.models import Denial
from bureau.denials.services import (
    denials_from_era,
    denials_reversed_by_payer,
    denied_service,
    is_denied_claim,
)
from bureau.directory.models import Payer
from bureau.ledger.services import LedgerAppender, unreversed_entries
from bureau.remittance import adjudications
from bureau.remittance.amounts import (
    LineAmounts,
    adjustments_json,
    post_claim_amounts,
    reverse_entries,
    state_after,
)
from bureau.remittance.matching import (
    ClaimMatch,
    claims_by_number,
    lines_by_claim,
    match_services,
)
from bureau.remittance.models import (
    Era,
    EraClaim,
    EraClaimOutcome,
    EraException,
    EraLine,
    EraStatus,
    ExceptionReason,
    ProviderAdjustmentEntry,
)
from bureau.remittance.outcome import EraOutcome, Ticker
from bureau.remittance.underpayments import contract_rates, expected_allowed, underpaid_by
from bureau.tenancy.actor import Actor
from bureau.tenancy.bulk import allocate_ids, insert
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.workqueues.functions import Function
from bureau.workqueues.hooks import remittance_changed
from bureau.x12.remit835 import (
    ClaimPayment,
    PaymentEnd,
    ServicePayment,
)

ZERO = Decimal("0.00")
REASON = "ERA posting"
S = ClaimState
ADJUDICABLE = frozenset({S.SUBMITTED, S.ACCEPTED, S.PAID, S.PARTIALLY_PAID, S.DENIED})
ADJUDICATED = frozenset({S.PAID, S.PARTIALLY_PAID, S.DENIED})


# -- the ERA ---------------------------------------------------------------------------------
class ClaimPoster:
    """The planning and writing for one saved Era (kept out of `post_remittance` for size)."""

    def __init__(
        self,
        actor: Actor | None,
        practice: Practice,
        payer: Payer | None,
        era: Era,
        end: PaymentEnd,
        problems: list[str],
        ticker: Ticker,
        outcome: EraOutcome,
    ) -> None:
        self.actor, self.practice, self.payer, self.era = actor, practice, payer, era
        self.r, self.end = end.header, end
        self.problems, self.ticker, self.outcome = problems, ticker, outcome
        self.ids = [practice.pk]
        self.settings = settings_for(practice)
        self.user_id = actor.user.pk if actor is not None else None
        self.common = {
            "era": era,
            "effective_date": self.r.payment_date,
            "posted_by_id": self.user_id,
        }

    def _start_chunk(self, claims: list[ClaimPayment]) -> None:
        """Everything one chunk's claims need, in a few queries; nothing carried from the last
        chunk but what it wrote."""
        found = claims_by_number(
            self.era.workspace_id, self.ids, [c.patient_control_number for c in claims]
        )
        self.own = {n: c for n, c in found.items() if c.practice_id == self.practice.pk}
        self.era_claims: list[EraClaim] = []
        self.era_lines: list[dict[str, Any]] = []
        self.exceptions: list[EraException] = []
        self.denial_jobs: list[tuple[EraClaim, ClaimMatch]] = []
        self.reversal_moves: dict[int, tuple[Claim, ClaimState]] = {}
        self.final_moves: dict[int, tuple[Claim, ClaimState]] = {}
        self.planned: dict[int, ClaimState] = {}
        self.reversed_claims: set[int] = set()
        lines = lines_by_claim(self.ids, [c.pk for c in self.own.values()])
        self.lines = lines
        self.appender = LedgerAppender(self.ids, [ln.pk for ls in lines.values() for ln in ls])
        reversal_ids = [
            self.own[c.patient_control_number.strip()].pk
            for c in claims
            if c.is_reversal and c.patient_control_number.strip() in self.own
        ]
        self.originals = unreversed_entries(self.ids, reversal_ids)
        # Reversals of replaced or voided claims may find nothing left: an acknowledgement.
        self.corrected = corrected_originals(self.ids, reversal_ids)
        self.claim_payers = Payer.objects.in_bulk({c.payer_id for c in self.own.values()})
        self.rates = contract_rates(
            self.practice.pk,
            {self._payer_id(c) for c in self.own.values()},
            {s.procedure_code for c in claims for s in c.services},
        )
        self.ids_for_claims = iter(allocate_ids(EraClaim, len(claims)) or [])

    def post(self, claims: list[ClaimPayment]) -> None:
        """One chunk of the payment's claims, decided and written."""
        self._start_chunk(claims)
        for payment in claims:
            self._claim(payment)
            self.ticker.tick(f"posting ERA {self.r.trace_number}")
        self._write(claims)

    def finish(self) -> None:
        """After the last chunk: the payment's own exception, PLB entries, counts and audit."""
        era, outcome = self.era, self.outcome
        if self.problems:
            insert(
                EraException,
                [
                    EraException(
                        workspace_id=era.workspace_id,
                        practice=self.practice,
                        era=era,
                        reason=ExceptionReason.BALANCE_MISMATCH,
                        amount=self.r.payment_amount,
                        detail=(
                            "The ERA does not add up, nothing was posted: "
                            + "; ".join(self.problems)
                        )[:300],
                    )
                ],
            )
            outcome.exceptions += 1
        else:
            ProviderAdjustmentEntry.objects.bulk_create(
                [
                    ProviderAdjustmentEntry(
                        workspace_id=era.workspace_id,
                        practice=self.practice,
                        era=era,
                        reason=p.reason[:2],
                        reference=p.reference[:50],
                        amount=p.amount,
                        fiscal_period_end=p.fiscal_period_end,
                        effective_date=self.r.payment_date,
                        posted_by_id=self.user_id,
                    )
                    for p in self.end.provider_adjustments
                ]
            )
        era.posted_count, era.exception_count = outcome.posted, outcome.exceptions
        era.status = era_status(era)
        era.save(update_fields=["posted_count", "exception_count", "status"])
        remittance_changed(
            actor=self.actor,
            workspace_id=era.workspace_id,
            practice_ids=[self.practice.pk],
            era_ids=[era.pk],
            functions=(Function.POSTING_REVIEW, Function.ERA_EXCEPTIONS),
            cause=f"ERA {self.r.trace_number}",
        )
        outcome.status = era.status
        audit_record(
            action=AuditAction.ERA_INGESTED,
            actor=self.actor,
            workspace=era.workspace if self.actor is None else None,
            practice=self.practice,
            model="remittance.Era",
            record_ids=[era.public_id],
            label="" if self.actor is not None else "system",
            detail={
                "trace": era.trace_number,
                "amount": str(era.payment_amount),
                "posted": outcome.posted,
                "exceptions": outcome.exceptions,
                "denials": outcome.denials,
                "underpayments": outcome.underpayments,
                "file": era.file_name,
            },
        )

    def _setting(self, key: str, payer_id: int) -> Any:
        """The practice's effective (typed) setting for the payer; `EffectiveSettings` resolves
        each (key, payer) once per ERA, however many lines ask."""
        return self.settings.get(key, payer_id)

    def _payer_id(self, claim: Claim) -> int:
        return self.payer.pk if self.payer is not None else claim.payer_id

    def _claim(self, cp: ClaimPayment) -> None:
        number = cp.patient_control_number.strip()
        claim = self.own.get(number)
        lines = self.lines.get(claim.pk, []) if claim is not None else []
        services: list[tuple[ServicePayment, ClaimLine | None]] = (
            match_services(claim, lines, cp.services)
            if claim is not None
            else [(s, None) for s in cp.services]
        )
        m = ClaimMatch(cp, claim, lines, services)
        ec = EraClaim(
            id=next(self.ids_for_claims, None),
            workspace_id=self.era.workspace_id,
            practice=self.practice,
            era=self.era,
            claim=claim,
            patient_control_number=number[:38],
            status_code=cp.status[:2],
            charge=cp.charge,
            paid=cp.paid,
            patient_responsibility=cp.patient_responsibility or ZERO,
            payer_claim_number=cp.payer_claim_number[:50],
            adjustments=adjustments_json(cp.adjustments),
            remark_codes=list(cp.remark_codes),
            outcome=EraClaimOutcome.POSTED,
        )
        self.era_claims.append(ec)
        for svc, line in services:
            self.era_lines.append(self._era_line(ec, claim, cp, svc, line))
        if self.problems:
            ec.outcome = EraClaimOutcome.EXCEPTION
            return
        problem = self._problem(m)
        if problem is None and not cp.is_reversal:
            self.denial_jobs.append((ec, m))
        if problem is not None:
            reason, detail, amount = problem
            ec.outcome = EraClaimOutcome.EXCEPTION
            self.exceptions.append(
                EraException(
                    workspace_id=self.era.workspace_id,
                    practice=self.practice,
                    era=self.era,
                    era_claim=ec,
                    claim=claim,
                    reason=reason,
                    detail=detail[:300],
                    amount=amount,
                )
            )
            if reason == ExceptionReason.POLICY_HOLD and is_denied_claim(cp) and claim:
                self.denial_jobs.append((ec, m))  # held, but the denial is worked meanwhile
                # The payer's decision is a fact whether or not its zero-pay lines are posted
                # yet: the claim shows as denied (and in the denial queue) right away.
                state = self.planned.get(claim.pk, ClaimState(claim.state))
                if state != S.DENIED and S.DENIED in ALLOWED_TRANSITIONS[state]:
                    self.final_moves[claim.pk] = (claim, S.DENIED)
                    self.planned[claim.pk] = S.DENIED
            return
        assert claim is not None
        self._post(m, ec)

    def _era_line(
        self,
        ec: EraClaim,
        claim: Claim | None,
        cp: ClaimPayment,
        svc: ServicePayment,
        line: ClaimLine | None,
    ) -> dict[str, Any]:
        expected = short = None
        if claim is not None and line is not None and not cp.is_reversal:
            units = Decimal(svc.units or line.units or 1)
            expected = expected_allowed(
                self.rates, self._payer_id(claim), svc.procedure_code, svc.modifiers, units
            )
            tolerance = self._setting("era.autopost_tolerance", self._payer_id(claim))
            if not denied_service(svc, cp.is_denial):  # a denial is worked as a denial
                short = underpaid_by(expected, svc, tolerance)
        row: dict[str, Any] = {
            "workspace_id": self.era.workspace_id,
            "practice_id": self.practice.pk,
            "claim_line_id": line.pk if line is not None else None,
            "procedure_code": svc.procedure_code[:48],
            "modifiers": list(svc.modifiers),
            "charge": svc.charge,
            "paid": svc.paid,
            "allowed": svc.allowed,
            "adjustments": adjustments_json(svc.adjustments),
            "remark_codes": list(svc.remark_codes),
            "expected": expected,
            "underpaid_by": short,
        }
        if ec.pk is not None:
            row["era_claim_id"] = ec.pk
        else:  # SQLite: the EraClaim gets its key when inserted, just before its lines
            row["era_claim"] = ec
        return row

    def _problem(self, m: ClaimMatch) -> tuple[str, str, Decimal] | None:
        cp, claim = m.payment, m.claim
        number = cp.patient_control_number.strip()
        if claim is None:
            # The same words whether the number is another practice's or nobody's: the ERA's
            # readers may not learn what other practices hold.
            return (
                ExceptionReason.UNMATCHED_CLAIM,
                f"CLP01 {number} (paid {cp.paid}) matches no claim of this practice.",
                abs(cp.paid),
            )
        state = self.planned.get(claim.pk, ClaimState(claim.state))
        if cp.is_reversal:
            if not self.originals.get(claim.pk) and claim.pk not in self.corrected:
                return (
                    ExceptionReason.TAKEBACK,
                    f"The payer reverses claim {number} ({cp.paid}) but no earlier posting "
                    "of it was found to reverse.",
                    abs(cp.paid),
                )
            return None
        if state not in ADJUDICABLE:
            return (
                ExceptionReason.UNMATCHED_CLAIM,
                f"Claim {number} is {state.label.lower()}, not submitted: a payment for it "
                "cannot be posted.",
                abs(cp.paid),
            )
        if m.unmatched_services:
            codes = ", ".join(s.procedure_code for s in m.unmatched_services)
            return (
                ExceptionReason.UNMATCHED_LINE,
                f"Claim {number}: service line(s) {codes} match none of our lines.",
                sum((abs(s.paid) for s in m.unmatched_services), ZERO),
            )
        amounts = [cp.paid, *(s.paid for s in cp.services)]
        amounts += [a.amount for a in cp.adjustments] + [
            a.amount for s in cp.services for a in s.adjustments
        ]
        if any(a < 0 for a in amounts):
            return (
                ExceptionReason.TAKEBACK,
                f"Claim {number} is not a reversal but carries negative amounts (paid "
                f"{cp.paid}): the payer is taking money back.",
                abs(min(amounts)),
            )
        over = self._overpaid(m)
        if over is not None:
            return over
        payer_id = self._payer_id(claim)
        if not self._setting("era.autopost_enabled", payer_id):
            return (
                ExceptionReason.POLICY_HOLD,
                f"Claim {number}: auto-posting is off for this practice and payer; "
                "review and post.",
                cp.paid,
            )
        if is_denied_claim(cp) and not self._setting("era.autopost_denials", payer_id):
            return (
                ExceptionReason.POLICY_HOLD,
                f"Claim {number} was denied; denials are not auto-posted for this practice "
                "and payer. Review and post.",
                cp.charge,
            )
        return None

    def _overpaid(self, m: ClaimMatch) -> tuple[str, str, Decimal] | None:
        cp = m.payment
        assert m.claim is not None
        tolerance = self._setting("era.autopost_tolerance", self._payer_id(m.claim))
        notes: list[str] = []
        excess = ZERO
        if cp.paid > cp.charge:
            notes.append(f"paid {cp.paid} > charge {cp.charge}")
            excess += cp.paid - cp.charge
        for svc, line in m.services:
            assert line is not None
            units = Decimal(svc.units or line.units or 1)
            expected = expected_allowed(
                self.rates, self._payer_id(m.claim), svc.procedure_code, svc.modifiers, units
            )
            open_balance = self.appender.open_balance(line)
            if svc.paid > svc.charge:
                notes.append(f"line {line.line_number} paid {svc.paid} > charge {svc.charge}")
                excess += svc.paid - svc.charge
            elif expected is not None and svc.paid > expected + tolerance:
                notes.append(f"line {line.line_number} paid {svc.paid} > contract {expected}")
                excess += svc.paid - expected
            elif svc.paid > open_balance:
                notes.append(
                    f"line {line.line_number} paid {svc.paid} > open balance {open_balance}"
                )
                excess += svc.paid - open_balance
        if not notes:
            return None
        return (
            ExceptionReason.OVERPAYMENT,
            f"Claim {cp.patient_control_number.strip()} overpaid: " + "; ".join(notes) + ".",
            excess,
        )

    def _post(self, m: ClaimMatch, ec: EraClaim) -> None:
        cp, claim = m.payment, m.claim
        assert claim is not None
        self.outcome.posted += 1
        state = self.planned.get(claim.pk, ClaimState(claim.state))
        if cp.is_reversal:
            self.reversed_claims.add(claim.pk)
            by_id = {ln.pk: ln for ln in m.lines}
            reverse_entries(self.appender, self.originals.pop(claim.pk, []), by_id, **self.common)
            if state in ADJUDICATED:
                self.reversal_moves[claim.pk] = (claim, S.ACCEPTED)
                self.planned[claim.pk] = S.ACCEPTED
            self.outcome.paid += cp.paid
            return
        items = [
            LineAmounts(line, svc.paid, [(a.group, a.reason, a.amount) for a in svc.adjustments])
            for svc, line in m.services
            if line is not None
        ]
        unassigned = ZERO if cp.services else cp.paid  # a claim sent without SVC loops
        post_claim_amounts(
            self.appender,
            m.lines,
            items,
            [(a.group, a.reason, a.amount) for a in cp.adjustments],
            unassigned,
            **self.common,
        )
        self.outcome.paid += cp.paid
        denied = is_denied_claim(cp) or any(denied_service(s, False) for s in cp.services)
        target = state_after([self.appender.balance(ln.pk) for ln in m.lines], cp.paid, denied)
        if target != state and target in ALLOWED_TRANSITIONS[state]:
            self.final_moves[claim.pk] = (claim, target)
            self.planned[claim.pk] = target

    def _write(self, claims: list[ClaimPayment]) -> None:
        era, outcome = self.era, self.outcome
        insert(EraClaim, self.era_claims)
        insert(EraLine, self.era_lines)
        self.appender.flush()
        adjudications.note(ec.claim_id for ec in self.era_claims)  # first answered / paid
        denials: list[Denial] = []
        # The category table (default + the workspace's overrides): two reads per ERA.
        table = CategoryTable.load(era.workspace_id) if self.denial_jobs else None
        for ec, m in self.denial_jobs:
            assert m.claim is not None
            payer = self.payer or self.claim_payers.get(m.claim.payer_id)
            denials.extend(
                denials_from_era(
                    era_id=era.pk,
                    era_claim_id=ec.pk,
                    claim=m.claim,
                    payment=m.payment,
                    services=m.services,
                    payer=payer,
                    payment_date=self.r.payment_date,
                    table=table,
                )
            )
        insert(Denial, denials)
        insert(EraException, self.exceptions)
        denials_reversed_by_payer(
            actor=self.actor,
            practices=[self.practice],
            claim_ids=list(self.reversed_claims),
            era=era,
        )
        note = f"ERA {self.r.trace_number}"
        voids_answered(
            actor=self.actor,
            practice_ids=self.ids,
            original_ids=[pk for pk in self.reversed_claims if pk in self.corrected],
            note=note,
        )
        # The person whose upload this is moves the claims by posting (None: the system).
        poster, posting = self.actor, Capability.PAYMENTS_POST
        claims_transition(
            actor=poster, moves=list(self.reversal_moves.values()), note=note, capability=posting
        )
        claims_transition(
            actor=poster,
            moves=[(c, t) for c, t in self.final_moves.values() if c.state != t],
            note=note,
            capability=posting,
        )
        changed = {}
        # Claims this ERA pays: their pending appeals are decided. Net of a reversal in the
        # same ERA (a claim re-paid after an appeal comes reversed and paid again), so what the
        # appeal won is the new money, not the lines paid before it too.
        paid: dict[int, Decimal] = {}
        settled: set[int] = set()
        for cp in claims:
            claim = self.own.get(cp.patient_control_number.strip())
            if claim is not None and cp.paid != 0:
                paid[claim.pk] = paid.get(claim.pk, ZERO) + cp.paid
                if paid_as_allowed(cp):
                    settled.add(claim.pk)
            if (
                claim is not None
                and cp.payer_claim_number
                and not cp.is_reversal
                and (claim.payer_claim_number != cp.payer_claim_number[:50])
            ):
                claim.payer_claim_number = cp.payer_claim_number[:50]
                changed[claim.pk] = claim
        set_payer_claim_numbers(self.ids, list(changed.values()))
        appeals_paid_by_payer(
            actor=self.actor, practices=[self.practice], paid=paid, era=era, settled=settled
        )
        remittance_changed(
            actor=self.actor,
            workspace_id=era.workspace_id,
            practice_ids=[self.practice.pk],
            claim_ids=[c.pk for c in self.own.values()],
            functions=(Function.DENIALS, Function.UNDERPAYMENTS),
            cause=note,
        )
        outcome.exceptions += len(self.exceptions)
        outcome.denials += len(denials)
        outcome.underpayments += sum(1 for ln in self.era_lines if ln["underpaid_by"] is not None)


def era_status(era: Era) -> str:
    if era.balancing_problems or (era.exception_count and not era.posted_count and era.claim_count):
        return EraStatus.EXCEPTION
    return EraStatus.PARTIAL if era.exception_count else EraStatus.POSTED
