"""Reading an 835 (005010X221A1) into `Remittance` objects, one transaction set at a time.

`stream_835` hands over each payment piece by piece as the file is read: its header
(`PaymentHeader`) when the first claim opens, each claim (`ClaimPayment`) when its loop closes,
and at SE a `PaymentEnd` with the totals and the guide's balancing checks taken as the claims
passed. So a 50,000-claim payment is read, checked and posted without its claims (or the file's
segments) ever being in memory at once. `iter_remittances` collects each ST…SE into a
`Remittance`, and `read_835` one interchange, for callers that want it whole. Loops follow the
guide:

    ST BPR TRN CUR REF DTM*405         header
    1000A N1*PR N3 N4 REF*2U PER       payer          1000B N1*PE N3 N4 REF*TJ RDM   payee
    2000 LX TS3 TS2                    (read past)
      2100 CLP CAS NM1 MIA MOA REF DTM PER AMT QTY      each claim
        2110 SVC DTM CAS REF AMT QTY LQ                 each service line
    PLB                                 provider-level adjustments
    SE

Speed (`bench/bench_x12_835.py` measures it against an honest floor and the PHP peer): segments
come as raw strings (`tokens.raw_segments`: layout removed once per chunk, not per segment) split
in one tight loop, dispatch is a dict on the segment id to small methods, amounts and dates go
through caches, the records are named tuples (a frozen dataclass costs ~2 µs to build), and the
cyclic garbage collector is paused while the reader runs (see `run`).
Malformed input raises `X12Error` naming the segment; nothing else escapes.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any, TextIO

from bureau.x12._remit835_builders import _Claim, _Header, _Service
from bureau.x12._remit835_values import (
    AmtValue,
    CasValue,
    DtmValue,
    SvcValue,
    a_date,
    money,
    parse_amt,
    parse_cas,
    parse_dtm,
    svc_parser,
)
from bureau.x12.errors import X12Error
from bureau.x12.interchange import EnvelopeCheck
from bureau.x12.remit835 import (
    PLB_PAIRS,
    ClaimPayment,
    Interchange835,
    PaymentEnd,
    PaymentHeader,
    ProviderAdjustment,
    Remittance,
    claim_problems,
    payment_problems,
)
from bureau.x12.tokens import Tokens, raw_segments
from bureau.x12.tokens import element as _get
from bureau.x12.tokens import required as _need

Event = PaymentHeader | ClaimPayment | PaymentEnd
# Distinct raw segments remembered per file (`_remit835_values`): a fee schedule's worth of
# CAS, DTM, AMT and SVC texts; when full it keeps what it has (the first texts met are the
# common ones), so a file of all-different amounts costs no more memory than this.
_MEMO_LIMIT = 20_000
_MEMO_TRIAL = 4_096


class _Reader:
    """One pass over the segments; state is the open transaction, claim and service line."""

    def __init__(self, component: str) -> None:
        self.component = component
        self.env = EnvelopeCheck("835")
        self.head: _Header | None = None
        self.claim: _Claim | None = None
        self.svc: _Service | None = None
        self.footer = False  # PLB seen: no more claims
        self.out: list[Event] = []  # finished pieces the loop hands over after each segment
        self.handlers: dict[str, Callable[[int, Tokens], None]] = {
            "REF": self._ref,
            "CLP": self._clp,
            "NM1": self._nm1,
            "LQ": self._lq,
            "MOA": self._moa,
            "MIA": self._mia,
            "LX": self._lx,
            "QTY": self._body,
            "PER": self._body,
            "TS3": self._lx,
            "TS2": self._lx,
            "N1": self._n1,
            "N3": self._body,
            "N4": self._body,
            "RDM": self._body,
            "CUR": self._body,
            "TRN": self._trn,
            "BPR": self._bpr,
            "PLB": self._plb,
        }
        # Segments parsed by their elements alone (pure, so remembered by their raw text in
        # `memo`), then applied to the open claim or line.
        self.parsers: dict[str, tuple[Callable[[int, Tokens], Any], Callable[[int, Any], None]]]
        self.parsers = {
            "CAS": (parse_cas, self._cas),
            "SVC": (svc_parser(component), self._svc),
            "DTM": (parse_dtm, self._dtm),
            "AMT": (parse_amt, self._amt),
        }
        self.memo: dict[str, tuple[Callable[[int, Any], None], Any]] = {}

    def run(self, batches: Iterable[list[str]], separator: str) -> Iterator[Event]:
        """`batches` are lists of raw segments (text between terminators, whitespace around
        them already removed); `separator` is the element separator.

        The cyclic garbage collector is paused while this reader works (never while the caller
        holds a yielded remittance): the reader builds no cycles, and every object it keeps would
        otherwise be traversed again and again as the heap grows — a third of the run time on a
        10,000-claim file. Collection resumes, nothing is lost, when the reader yields or stops."""
        pieces = self._run(batches, separator)
        while True:
            collecting = gc.isenabled()
            gc.disable()
            try:
                events = next(pieces, None)
            finally:
                if collecting:
                    gc.enable()
            if events is None:
                return
            yield from events

    def _run(self, batches: Iterable[list[str]], separator: str) -> Iterator[list[Event]]:
        """What each batch of segments finished, as one list: handing over per batch rather
        than per claim keeps generator hops and collector switches off the per-claim path."""
        handlers, parsers, memo, env = self.handlers, self.parsers, self.memo, self.env
        index = 0
        expect_bpr = False
        # The memo pays where payers repeat themselves (a fee schedule); on a file where
        # nothing repeats it is only cost, so it is dropped once it has stored `_MEMO_TRIAL`
        # segments and been hit fewer times than that.
        memoizing, hits, stored = True, 0, 0
        for batch in batches:
            try:
                for raw in batch:
                    if not raw:
                        continue
                    index += 1
                    if memoizing:
                        known = memo.get(raw)
                        if known is not None and not expect_bpr:
                            hits += 1
                            known[0](index, known[1])
                            continue
                    tokens = raw.split(separator)
                    seg = tokens[0]
                    handler = handlers.get(seg)
                    if handler is not None:
                        if expect_bpr and seg != "BPR":
                            raise X12Error(index, "ST must be followed by BPR", segment_id=seg)
                        expect_bpr = False
                        handler(index, tokens)
                    elif seg in parsers:
                        if expect_bpr:
                            raise X12Error(index, "ST must be followed by BPR", segment_id=seg)
                        parse, apply = parsers[seg]
                        value = parse(index, tokens)
                        if memoizing and len(memo) < _MEMO_LIMIT:
                            memo[raw] = (apply, value)
                            stored += 1
                            if stored % _MEMO_TRIAL == 0 and hits < stored:
                                memoizing = False
                                memo.clear()
                        apply(index, value)
                    elif seg == "SE":
                        if expect_bpr:
                            raise X12Error(index, "ST must be followed by BPR", segment_id=seg)
                        self._se(index, tokens)
                    elif seg == "ST":
                        self.head = _Header(index, self.env.st(index, tokens))
                        self.footer = False
                        expect_bpr = True
                    elif not env.dispatch(index, tokens):
                        raise X12Error(
                            index, f"{seg[:10]!r} is not a segment of an 835", segment_id=seg[:10]
                        )
            except X12Error:
                if self.out:  # what was whole before the error still goes out first
                    yield self.out
                    self.out = []
                raise
            if self.out:
                yield self.out
                self.out = []
        env.finish(index)

    # -- header ------------------------------------------------------------------------

    def _header(self, index: int, tokens: Tokens) -> _Header:
        if self.head is None:
            raise X12Error(index, "segment outside a transaction set (ST)", segment_id=tokens[0])
        return self.head

    def _bpr(self, index: int, tokens: Tokens) -> None:
        head = self._header(index, tokens)
        if head.payment_amount is not None:
            raise X12Error(index, "BPR must come right after ST, once", segment_id="BPR")
        head.handling_code = _need(tokens, 1, index)
        head.payment_amount = money(_need(tokens, 2, index), index, "BPR02")
        head.credit_debit = _need(tokens, 3, index)
        head.payment_method = _need(tokens, 4, index)
        head.payment_date = a_date(_need(tokens, 16, index), index, "BPR16")

    def _trn(self, index: int, tokens: Tokens) -> None:
        head = self._header(index, tokens)
        if self.claim is not None or head.trace_number:
            raise X12Error(index, "TRN belongs once in the header", segment_id="TRN")
        head.trace_number = _need(tokens, 2, index)
        head.originator_id = _get(tokens, 3)

    def _n1(self, index: int, tokens: Tokens) -> None:
        head = self._header(index, tokens)
        if head.announced:
            raise X12Error(index, "N1 after the claims began", segment_id="N1")
        entity = _get(tokens, 1)
        head.party = entity
        if entity == "PR":
            head.payer_name = _need(tokens, 2, index)
        elif entity == "PE":
            head.payee_name = _need(tokens, 2, index)
            qualifier, ident = _get(tokens, 3), _get(tokens, 4)
            if qualifier == "XX":
                head.payee_npi = ident
            elif qualifier == "FI":
                head.payee_tax_id = ident

    def _body(self, index: int, tokens: Tokens) -> None:
        # N3, N4, PER, RDM, CUR, QTY: nothing Bureau keeps, but they must sit in a set.
        self._header(index, tokens)

    def _lx(self, index: int, tokens: Tokens) -> None:
        head = self._open_detail(index, tokens)
        self._close_claim()
        head.party = ""

    def _open_detail(self, index: int, tokens: Tokens) -> _Header:
        head = self._header(index, tokens)
        if self.footer:
            raise X12Error(index, "claims after PLB", segment_id=tokens[0])
        if head.payment_amount is None or not head.trace_number:
            raise X12Error(index, "the header has no BPR or TRN", segment_id=tokens[0])
        if not head.payer_name or not head.payee_name:
            raise X12Error(
                index, "the header has no N1*PR payer or N1*PE payee", segment_id=tokens[0]
            )
        if not head.announced:
            head.announced = True
            self.out.append(head.build())
        return head

    # -- claims and lines --------------------------------------------------------------

    def _close_claim(self) -> None:
        claim = self.claim
        if claim is None:
            return
        if self.svc is not None:
            claim.close_line(self.svc)
            self.svc = None
        head = self.head
        assert head is not None  # a claim only opens inside a header
        built = claim.build()
        head.claim_count += 1
        head.total_paid += built.paid
        if not claim.balances():
            head.problems += claim_problems(built)
        self.out.append(built)
        self.claim = None

    def _clp(self, index: int, tokens: Tokens) -> None:
        if self.claim is not None:
            self._close_claim()  # the header was checked when that claim opened
        else:
            self._open_detail(index, tokens)
        n = len(tokens)
        if n < 5 or not (tokens[1] and tokens[2] and tokens[3] and tokens[4]):
            raise X12Error(index, "CLP01 to CLP04 are required", segment_id="CLP")
        pr = tokens[5] if n > 5 else ""
        self.claim = _Claim(
            index,
            tokens,
            money(tokens[3], index, "CLP03"),
            money(tokens[4], index, "CLP04"),
            money(pr, index, "CLP05") if pr else None,
            "",
            "",
            "",
            None,
            None,
            [],
            [],
            [],
        )

    def _cas(self, index: int, value: CasValue) -> None:
        claim = self.claim
        if claim is None:
            raise X12Error(index, "CAS outside a claim (CLP)", segment_id="CAS")
        owner: _Service | _Claim = claim if self.svc is None else self.svc
        adjustments, total = value
        owner.adjustments += adjustments
        owner.adjusted += total

    def _nm1(self, index: int, tokens: Tokens) -> None:
        claim = self.claim
        if claim is None or self.svc is not None:
            raise X12Error(index, "NM1 outside a claim (CLP)", segment_id="NM1")
        if _get(tokens, 1) == "QC":
            claim.last_name = _get(tokens, 3)
            claim.first_name = _get(tokens, 4)
            # NM108 is MI (member id) in practice; 34, HN, II and MR carry it too.
            claim.member_id = _get(tokens, 9)

    def _moa(self, index: int, tokens: Tokens) -> None:
        claim = self._claim_level(index, tokens)
        claim.remarks.extend(code for code in tokens[3:8] if code)

    def _mia(self, index: int, tokens: Tokens) -> None:
        claim = self._claim_level(index, tokens)
        claim.remarks.extend(
            code for code in (_get(tokens, p) for p in (5, 20, 21, 22, 23)) if code
        )

    def _claim_level(self, index: int, tokens: Tokens) -> _Claim:
        if self.claim is None or self.svc is not None:
            raise X12Error(index, f"{tokens[0]} outside claim level", segment_id=tokens[0])
        return self.claim

    def _svc(self, index: int, value: SvcValue) -> None:
        claim = self.claim
        if claim is None:
            raise X12Error(index, "SVC before any claim (CLP)", segment_id="SVC")
        if self.svc is not None:
            claim.close_line(self.svc)
        qualifier, code, modifiers, charge, paid, units = value
        self.svc = _Service(
            index, qualifier, code, modifiers, charge, paid, units, None, None, "", None, [], []
        )

    def _dtm(self, index: int, value: DtmValue) -> None:
        qualifier, when = value
        svc = self.svc
        if svc is not None:
            if qualifier == "472":
                svc.service_date = when
            elif qualifier == "150":
                svc.start_date = when
            return
        claim = self.claim
        if claim is not None:
            if qualifier == "232":
                claim.statement_start = when
            elif qualifier == "233":
                claim.statement_end = when
            return
        head = self._header(index, ["DTM"])
        if head.announced:  # the header has gone out with the first claim or LX
            raise X12Error(index, "DTM outside a claim after the header", segment_id="DTM")
        if qualifier == "405":
            head.production_date = when

    def _ref(self, index: int, tokens: Tokens) -> None:
        qualifier = tokens[1] if len(tokens) > 1 else ""
        svc = self.svc
        if svc is not None:
            if qualifier == "6R":
                svc.line_control_number = _need(tokens, 2, index)
            return
        if self.claim is not None:
            return
        head = self._header(index, tokens)
        if qualifier == "2U" and head.party == "PR":
            head.payer_id = _need(tokens, 2, index)
        elif qualifier == "TJ" and head.party == "PE" and not head.payee_tax_id:
            head.payee_tax_id = _need(tokens, 2, index)

    def _amt(self, index: int, value: AmtValue) -> None:
        svc = self.svc
        if svc is None:
            self._claim_level(index, ["AMT"])
        elif value[1] is not None:  # AMT*B6, the allowed amount
            svc.allowed = value[1]

    def _lq(self, index: int, tokens: Tokens) -> None:
        svc = self.svc
        if svc is None:
            raise X12Error(index, "LQ outside a service line (SVC)", segment_id="LQ")
        if _get(tokens, 1) == "HE":
            svc.remarks.append(_need(tokens, 2, index))

    # -- footer ------------------------------------------------------------------------

    def _plb(self, index: int, tokens: Tokens) -> None:
        # PLB repeats: six adjustments per segment, more go in another PLB (the guide's
        # repeat; Bureau's own writer does it). Only claims after the first PLB are refused.
        if self.footer:
            head = self._header(index, tokens)
        else:
            head = self._open_detail(index, tokens)
            self._close_claim()
            self.footer = True
        provider = _need(tokens, 1, index)
        period_end = a_date(_need(tokens, 2, index), index, "PLB02")
        n = len(tokens)
        if n < 5 or not tokens[3]:
            raise X12Error(
                index, "PLB needs a reason (PLB03) and an amount (PLB04)", segment_id="PLB"
            )
        if n > 3 + 2 * PLB_PAIRS:
            raise X12Error(index, "PLB has more than six adjustments", segment_id="PLB")
        for start in range(3, n, 2):
            composite = tokens[start]
            amount = tokens[start + 1] if start + 1 < n else ""
            if not composite:
                if amount:
                    raise X12Error(index, f"PLB{start + 1:02d} has no reason", segment_id="PLB")
                continue
            if not amount:
                raise X12Error(index, f"PLB{start + 2:02d} is required", segment_id="PLB")
            reason, _, reference = composite.partition(self.component)
            if not reason:
                raise X12Error(index, f"PLB{start:02d} has no reason code", segment_id="PLB")
            head.plb.append(
                ProviderAdjustment(
                    provider,
                    period_end,
                    reason,
                    money(amount, index, f"PLB{start + 1:02d}"),
                    reference.split(self.component)[0],
                    index,
                )
            )

    def _se(self, index: int, tokens: Tokens) -> None:
        head = self._header(index, tokens)
        if not self.footer:
            self._open_detail(index, tokens)
        self._close_claim()
        self.env.se(index, tokens)
        self.head = None
        plb = tuple(head.plb)
        total_plb = sum((p.amount for p in plb), Decimal("0.00"))
        problems = payment_problems(head.payment_amount or Decimal(0), head.total_paid, total_plb)
        self.out.append(
            PaymentEnd(
                header=head.build(),
                claim_count=head.claim_count,
                total_paid=head.total_paid,
                provider_adjustments=plb,
                problems=tuple(problems + head.problems),
                segment_index=index,
            )
        )


def _open(source: str | TextIO) -> tuple[_Reader, Iterator[list[str]], str]:
    delimiters, batches = raw_segments(source)
    return _Reader(delimiters.component), batches, delimiters.element


def stream_835(source: str | TextIO) -> Iterator[Event]:
    """Each payment of `source` (text, or a text file read piecewise) as a `PaymentHeader`, its
    claims one by one, and a `PaymentEnd` (see the module doc). An X12Error may come after some
    claims of a payment were handed over: a caller posting as it reads does so in a transaction
    it can roll back."""
    reader, batches, separator = _open(source)
    yield from reader.run(batches, separator)


def iter_remittances(source: str | TextIO) -> Iterator[Remittance]:
    """Each 835 transaction set of `source` as a whole `Remittance`, as soon as its SE is read."""
    yield from _remittances(stream_835(source))


def _remittances(events: Iterable[Event]) -> Iterator[Remittance]:
    claims: list[ClaimPayment] = []
    for event in events:
        if type(event) is ClaimPayment:
            claims.append(event)
        elif isinstance(event, PaymentEnd):
            yield Remittance.assemble(event.header, tuple(claims), event.provider_adjustments)
            claims = []


def read_835(source: str | TextIO) -> Interchange835:
    """One 835 interchange, whole."""
    reader, batches, separator = _open(source)
    remittances = list(_remittances(reader.run(batches, separator)))
    env = reader.env
    if env.interchanges != 1:
        raise X12Error(None, "the file holds more than one interchange; use iter_remittances")
    return Interchange835(
        sender_id=env.sender_id,
        receiver_id=env.receiver_id,
        control_number=env.control_number,
        group_control_number=env.group_control_number,
        usage=env.usage,
        remittances=tuple(remittances),
    )
