"""pyx12 as the test oracle: validate X12 text and return its errors, empty when valid.

Called through its API, not the command line (which exits 1 on pass and fail alike). Errors
come from the JSON error document pyx12 writes; a False verdict with no listed error still
fails, so nothing the validator dislikes can slip through unreported.
"""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pyx12.params
import pyx12.x12n_document

# pyx12 knows the 837P map as A1; the A2 errata changed no structure it checks.
_VERSION_ALIASES = {"005010X222A2": "005010X222A1"}


def _prepare(text: str) -> str:
    text = text.removeprefix("\ufeff")
    for alias, known in _VERSION_ALIASES.items():
        text = text.replace(alias, known)
    if len(text) < 106:
        return text
    terminator = text[105]
    return terminator.join(seg.lstrip() for seg in text.split(terminator))


def _label(node: dict[str, Any]) -> str:
    if "seg_id" in node:
        return f"{node['seg_id']}#{node['seg_count']}"
    if "trn_set_id" in node:
        return f"ST {node['trn_set_control_num']}"
    if "gs_control_num" in node:
        return f"GS {node['gs_control_num']}"
    if "isa_trn_set_id" in node:
        return "ISA"
    return str(node.get("name") or "")


def _collect(node: Any, where: str, errors: list[str]) -> None:
    """Walk pyx12's JSON error tree (interchange → group → transaction → segment → element)."""
    if isinstance(node, dict):
        label = _label(node)
        here = f"{where}/{label}" if label else where
        for err in node.get("errors", []):
            value = f" [{err['err_val']}]" if err.get("err_val") else ""
            errors.append(f"{here}: {err['err_cde']} {err['err_str']}{value}")
        for key, child in node.items():
            if key != "errors" and isinstance(child, list | dict):
                _collect(child, here, errors)
    elif isinstance(node, list):
        for child in node:
            _collect(child, where, errors)


def pyx12_errors(text: str) -> list[str]:
    """Every error pyx12 reports for `text`; an empty list means the file is valid."""
    param = pyx12.params.ParamsBase()
    param.set("charset", "E")
    fd_json = io.StringIO()
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)  # errors are read from JSON instead
    ok = pyx12.x12n_document.x12n_document(
        param, io.StringIO(_prepare(text)), None, None, fd_json=fd_json
    )
    errors: list[str] = []
    if fd_json.getvalue():
        _collect(json.loads(fd_json.getvalue()), "", errors)
    if not ok and not errors:
        errors.append("pyx12 rejected the file without naming an error")
    return errors
