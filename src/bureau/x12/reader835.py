"""Reading an 835 (005010X221A1) into `Remittance` objects, one transaction set at a time.

`iter_remittances` yields each ST…SE as soon as its SE is read, so a payer's 10,000-claim file
never sits in memory as objects; `read_835` collects one interchange. Loops follow the guide:

    ST BPR TRN CUR REF DTM*405         header
    1000A N1*PR N3 N4 REF*2U PER       payer          1000B N1*PE N3 N4 REF*TJ RDM   payee
    2000 LX TS3 TS2                    (read past)
      2100 CLP CAS NM1 MIA MOA REF DTM PER AMT QTY      each claim
        2110 SVC DTM CAS REF AMT QTY LQ                 each service line
    PLB                                 provider-level adjustments
    SE

Speed: the benchmark holds this reader to half the rate of a bare `split`, so segments come as
raw strings (`tokens.raw_segments`: whitespace removed once per text, not per segment) split in
one tight loop, dispatch is a dict on the segment id to small methods, amounts and dates go
through caches, and the cyclic garbage collector is paused while the reader runs (see `run`).
Malformed input raises `X12Error` naming the segment; nothing else escapes.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import TextIO, TypeVar

from bureau.x12._remit835_builders import _Claim, _Header, _Service
from bureau.x12.errors import X12Error
from bureau.x12.interchange import EnvelopeCheck
from bureau.x12.remit835 import (
    CAS_TRIPLES,
    GROUP_CODES,
    PLB_PAIRS,
    Adjustment,
    Interchange835,
    ProviderAdjustment,
    Remittance,
)
from bureau.x12.tokens import (
    Tokens,
    parse_amount,
    parse_date,
    parse_quantity,
    raw_segments,
)
from bureau.x12.tokens import element as _get
from bureau.x12.tokens import required as _need

_CACHE_LIMIT = 50_000
_T = TypeVar("_T")
# Element text -> parsed value. Payers repeat the same amounts, dates and unit counts thousands
# of times in a file, and parsing dominates the cost; only values that parsed are kept.
_amounts: dict[str, Decimal] = {}
_dates: dict[str, date] = {}
_quantities: dict[str, Decimal] = {}


def _cached(
    cache: dict[str, _T], parse: Callable[[str, int, str], _T], text: str, index: int, name: str
) -> _T:
    value = cache.get(text)
    if value is None:
        value = parse(text, index, name)
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[text] = value
    return value


def _money(text: str, index: int, name: str) -> Decimal:
    """`parse_amount`, cached. Hot paths look in `_amounts` first and call this on a miss (or
    on a cached zero, which is falsy: the second look-up is harmless)."""
    return _cached(_amounts, parse_amount, text, index, name)


def _date(text: str, index: int, name: str) -> date:
    return _cached(_dates, parse_date, text, index, name)


def _quantity(text: str, index: int, name: str) -> Decimal:
    return _cached(_quantities, parse_quantity, text, index, name)


# CAS element names per triple start: reason, amount, quantity.
_CAS_NAMES = {
    start: (f"CAS{start:02d}", f"CAS{start + 1:02d}", f"CAS{start + 2:02d}")
    for start in range(2, 2 + 3 * CAS_TRIPLES, 3)
}


def _dtm02(text: str, index: int) -> date:
    if not text:
        raise X12Error(index, "DTM02 is required", segment_id="DTM")
    return _date(text, index, "DTM02")


class _Reader:
    """One pass over the segments; state is the open transaction, claim and service line."""

    def __init__(self, component: str) -> None:
        self.component = component
        self.env = EnvelopeCheck("835")
        self.head: _Header | None = None
        self.claim: _Claim | None = None
        self.svc: _Service | None = None
        self.footer = False  # PLB seen: no more claims
        self.handlers: dict[str, Callable[[int, Tokens], None]] = {
            "CAS": self._cas,
            "SVC": self._svc,
            "DTM": self._dtm,
            "REF": self._ref,
            "CLP": self._clp,
            "NM1": self._nm1,
            "AMT": self._amt,
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

    def run(self, batches: Iterable[list[str]], separator: str) -> Iterator[Remittance]:
        """`batches` are lists of raw segments (text between terminators, whitespace around
        them already removed); `separator` is the element separator.

        The cyclic garbage collector is paused while this reader works (never while the caller
        holds a yielded remittance): the reader builds no cycles, and every object it keeps would
        otherwise be traversed again and again as the heap grows — a third of the run time on a
        10,000-claim file. Collection resumes, nothing is lost, when the reader yields or stops."""
        remittances = self._run(batches, separator)
        while True:
            collecting = gc.isenabled()
            gc.disable()
            try:
                remittance = next(remittances, None)
            finally:
                if collecting:
                    gc.enable()
            if remittance is None:
                return
            yield remittance

    def _run(self, batches: Iterable[list[str]], separator: str) -> Iterator[Remittance]:
        handlers = self.handlers
        env = self.env
        index = 0
        expect_bpr = False
        for batch in batches:
            for raw in batch:
                if not raw:
                    continue
                index += 1
                tokens = raw.split(separator)
                seg = tokens[0]
                handler = handlers.get(seg)
                if handler is not None:
                    if expect_bpr and seg != "BPR":
                        raise X12Error(index, "ST must be followed by BPR", segment_id=seg)
                    expect_bpr = False
                    handler(index, tokens)
                elif seg == "SE":
                    if expect_bpr:
                        raise X12Error(index, "ST must be followed by BPR", segment_id=seg)
                    yield self._se(index, tokens)
                elif seg == "ST":
                    self.head = _Header(index, self.env.st(index, tokens))
                    self.footer = False
                    expect_bpr = True
                elif not env.dispatch(index, tokens):
                    raise X12Error(
                        index, f"{seg[:10]!r} is not a segment of an 835", segment_id=seg[:10]
                    )
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
        head.payment_amount = _money(_need(tokens, 2, index), index, "BPR02")
        head.credit_debit = _need(tokens, 3, index)
        head.payment_method = _need(tokens, 4, index)
        head.payment_date = _date(_need(tokens, 16, index), index, "BPR16")

    def _trn(self, index: int, tokens: Tokens) -> None:
        head = self._header(index, tokens)
        if self.claim is not None or head.trace_number:
            raise X12Error(index, "TRN belongs once in the header", segment_id="TRN")
        head.trace_number = _need(tokens, 2, index)
        head.originator_id = _get(tokens, 3)

    def _n1(self, index: int, tokens: Tokens) -> None:
        head = self._header(index, tokens)
        if head.claims or self.claim is not None:
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
        return head

    # -- claims and lines --------------------------------------------------------------

    def _close_claim(self) -> None:
        claim = self.claim
        if claim is None:
            return
        if self.svc is not None:
            claim.services.append(self.svc.build())
            self.svc = None
        assert self.head is not None  # a claim only opens inside a header
        self.head.claims.append(claim.build())
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
            (_amounts.get(tokens[3]) or _money(tokens[3], index, "CLP03")),
            (_amounts.get(tokens[4]) or _money(tokens[4], index, "CLP04")),
            _money(pr, index, "CLP05") if pr else None,
            "",
            "",
            "",
            None,
            None,
            [],
            [],
            [],
        )

    def _cas(self, index: int, tokens: Tokens) -> None:
        claim = self.claim
        if claim is None:
            raise X12Error(index, "CAS outside a claim (CLP)", segment_id="CAS")
        n = len(tokens)
        group = tokens[1] if n > 1 else ""
        if group not in GROUP_CODES:
            raise X12Error(index, f"CAS01 {group!r} is not a group code", segment_id="CAS")
        if n < 4 or not tokens[2] or not tokens[3]:
            raise X12Error(
                index, "CAS needs a reason (CAS02) and an amount (CAS03)", segment_id="CAS"
            )
        target = self.svc.adjustments if self.svc is not None else claim.adjustments
        if n == 4:  # the common case: one reason, no quantity
            target.append(
                Adjustment(
                    group, tokens[2], (_amounts.get(tokens[3]) or _money(tokens[3], index, "CAS03"))
                )
            )
            return
        if n > 2 + 3 * CAS_TRIPLES:
            raise X12Error(index, "CAS has more than six adjustments", segment_id="CAS")
        for start in range(2, n, 3):
            reason = tokens[start]
            amount = tokens[start + 1] if start + 1 < n else ""
            quantity = tokens[start + 2] if start + 2 < n else ""
            names = _CAS_NAMES[start]
            if not reason:
                if amount or quantity:
                    raise X12Error(index, f"{names[0]} is required", segment_id="CAS")
                continue
            if not amount:
                raise X12Error(index, f"{names[1]} is required", segment_id="CAS")
            target.append(
                Adjustment(
                    group,
                    reason,
                    _money(amount, index, names[1]),
                    _quantity(quantity, index, names[2]) if quantity else None,
                )
            )

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

    def _svc(self, index: int, tokens: Tokens) -> None:
        claim = self.claim
        if claim is None:
            raise X12Error(index, "SVC before any claim (CLP)", segment_id="SVC")
        if self.svc is not None:
            claim.services.append(self.svc.build())
        n = len(tokens)
        if n < 4 or not tokens[2] or not tokens[3]:
            raise X12Error(index, "SVC01, SVC02 and SVC03 are required", segment_id="SVC")
        parts = tokens[1].split(self.component)
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise X12Error(index, "SVC01 needs a qualifier and a procedure code", segment_id="SVC")
        modifiers = tuple(parts[2:6])
        if "" in modifiers:
            modifiers = tuple(m for m in modifiers if m)
        units = tokens[5] if n > 5 else ""
        self.svc = _Service(
            index,
            parts[0],
            parts[1],
            modifiers,
            (_amounts.get(tokens[2]) or _money(tokens[2], index, "SVC02")),
            (_amounts.get(tokens[3]) or _money(tokens[3], index, "SVC03")),
            _quantity(units, index, "SVC05") if units else None,
            None,
            None,
            "",
            None,
            [],
            [],
        )

    def _dtm(self, index: int, tokens: Tokens) -> None:
        n = len(tokens)
        qualifier = tokens[1] if n > 1 else ""
        text = tokens[2] if n > 2 else ""
        when = _dates.get(text) or _dtm02(text, index)  # a date is never falsy
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
        head = self._header(index, tokens)
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

    def _amt(self, index: int, tokens: Tokens) -> None:
        svc = self.svc
        if svc is None:
            self._claim_level(index, tokens)
            return
        if _get(tokens, 1) == "B6":
            svc.allowed = _money(_need(tokens, 2, index), index, "AMT02")

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
        period_end = _date(_need(tokens, 2, index), index, "PLB02")
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
                    _money(amount, index, f"PLB{start + 1:02d}"),
                    reference.split(self.component)[0],
                    index,
                )
            )

    def _se(self, index: int, tokens: Tokens) -> Remittance:
        head = self._header(index, tokens)
        if not self.footer:
            self._open_detail(index, tokens)
        self._close_claim()
        self.env.se(index, tokens)
        self.head = None
        assert head.payment_amount is not None and head.payment_date is not None
        payer_id = head.payer_id or head.originator_id.removeprefix("1")
        return Remittance(
            control_number=head.control_number,
            handling_code=head.handling_code,
            payment_amount=head.payment_amount,
            credit_debit=head.credit_debit,
            payment_method=head.payment_method,
            payment_date=head.payment_date,
            trace_number=head.trace_number,
            originator_id=head.originator_id,
            payer_name=head.payer_name,
            payer_id=payer_id,
            payee_name=head.payee_name,
            payee_npi=head.payee_npi,
            payee_tax_id=head.payee_tax_id,
            production_date=head.production_date,
            claims=tuple(head.claims),
            provider_adjustments=tuple(head.plb),
            segment_index=head.index,
        )


def _open(source: str | TextIO) -> tuple[_Reader, Iterator[list[str]], str]:
    delimiters, batches = raw_segments(source)
    return _Reader(delimiters.component), batches, delimiters.element


def iter_remittances(source: str | TextIO) -> Iterator[Remittance]:
    """Each 835 transaction set of `source` (text, or a text file read piecewise) as it ends."""
    reader, batches, separator = _open(source)
    yield from reader.run(batches, separator)


def read_835(source: str | TextIO) -> Interchange835:
    """One 835 interchange, whole."""
    reader, batches, separator = _open(source)
    remittances = list(reader.run(batches, separator))
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
