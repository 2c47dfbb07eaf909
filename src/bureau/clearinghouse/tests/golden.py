"""Hand-written 999 and 277CA files (X231A1, X214) for the inbound tests, with correct counts."""

from __future__ import annotations

SENDER = "CLEARINGHOUSE"
RECEIVER = "BUREAU"


def _interchange(control: int, functional_id: str, version: str, body: list[str]) -> str:
    isa = (
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{SENDER:<15}*ZZ*{RECEIVER:<15}*261124*1200*^*00501*"
        f"{control:09d}*0*T*:"
    )
    segments = [
        isa,
        f"GS*{functional_id}*{SENDER}*{RECEIVER}*20261124*1200*{control}*X*{version}",
        *body,
        f"GE*1*{control}",
        f"IEA*1*{control:09d}",
    ]
    return "~\n".join(segments) + "~\n"


def _transaction(set_id: str, version: str, segments: list[str]) -> list[str]:
    st = f"ST*{set_id}*0001*{version}"
    return [st, *segments, f"SE*{len(segments) + 2}*0001"]


def ack999_text(icn: int, status: str = "A", *, control: int = 777) -> str:
    """A 999 answering our batch `icn`: A accepted, R rejected (with an IK3/IK4)."""
    body = [f"AK1*HC*{icn}*005010X222A1", f"AK2*837*{icn:09d}*005010X222A1"]
    if status == "R":
        body += ["IK3*NM1*12**8", "IK4*9*67*7*BADID", "IK5*R*5", "AK9*R*1*1*0"]
    else:
        body += ["IK5*A", "AK9*A*1*1*1"]
    return _interchange(control, "FA", "005010X231A1", _transaction("999", "005010X231A1", body))


def ack277_text(claims: list[tuple[str, str, str]], *, control: int = 888) -> str:
    """A 277CA with one 2200D per (claim number, STC01 "A2:20", payer claim number)."""
    body = [
        "BHT*0085*08*277REF*20261124*1200*TH",
        "HL*1**20*1",
        "NM1*PR*2*TEST PAYER*****PI*12345",
        "TRN*1*277REF",
        "DTP*050*D8*20261124",
        "DTP*009*D8*20261124",
        "HL*2*1*21*1",
        f"NM1*41*2*{RECEIVER}*****46*{RECEIVER}",
        "TRN*2*BATCHREF",
        f"STC*A1:19:PR*20261124*WQ*{122 * len(claims)}",
        f"QTY*90*{len(claims)}",
        f"AMT*YU*{122 * len(claims)}",
        "HL*3*2*19*1",
        "NM1*85*2*TEST PRACTICE*****XX*1234567893",
        "TRN*1*PROVREF",
        f"STC*A1:19:PR**WQ*{122 * len(claims)}",
    ]
    hl = 3
    for number, stc, payer_number in claims:
        hl += 1
        rejected = stc.split(":")[0] in {"A3", "A6", "A7", "A8"}
        body += [
            f"HL*{hl}*3*PT",
            "NM1*QC*1*DOE*JANE****MI*M00000001",
            f"TRN*2*{number}",
            f"STC*{stc}*20261124*{'U' if rejected else 'WQ'}*122",
        ]
        if payer_number:
            body.append(f"REF*1K*{payer_number}")
        body.append("DTP*472*RD8*20261101-20261101")
    return _interchange(control, "HN", "005010X214", _transaction("277", "005010X214", body))
