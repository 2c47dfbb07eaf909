"""Documents kept as compliance evidence (training certificates, policy documents): the kind
is read from the bytes, never from the name or the browser's say-so, and each is kept with its
SHA-256 so a copy handed to an auditor can be shown to be the one stored."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from enum import StrEnum

MAX_CERTIFICATE_BYTES = 5 * 1024 * 1024
MAX_POLICY_BYTES = 20 * 1024 * 1024
MAX_FILENAME = 200


class DocumentError(ValueError):
    """A document refused, with a message naming why."""


class DocumentKind(StrEnum):
    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"


_SIGNATURES: tuple[tuple[bytes, DocumentKind], ...] = (
    (b"%PDF-", DocumentKind.PDF),
    (b"\x89PNG\r\n\x1a\n", DocumentKind.PNG),
    (b"\xff\xd8\xff", DocumentKind.JPEG),
)


@dataclass(frozen=True)
class Document:
    content: bytes
    kind: DocumentKind
    sha256: str
    filename: str


def sniff(content: bytes) -> DocumentKind | None:
    for signature, kind in _SIGNATURES:
        if content.startswith(signature):
            return kind
    return None


def _clean_filename(filename: str, kind: DocumentKind) -> str:
    # Only the last path part, no control characters: it is shown and sent back as a name.
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return (name or f"document.{kind.value}")[-MAX_FILENAME:]


def accept_document(
    content: bytes,
    filename: str,
    *,
    allowed: frozenset[DocumentKind],
    max_bytes: int,
    what: str,
) -> Document:
    """The document, if its bytes are one of the `allowed` kinds and within `max_bytes`."""
    if not content:
        raise DocumentError(f"The {what} is empty.")
    if len(content) > max_bytes:
        raise DocumentError(
            f"The {what} is {len(content):,} bytes; at most {max_bytes:,} are kept."
        )
    kind = sniff(content)
    if kind is None or kind not in allowed:
        kinds = sorted(k.value.upper() for k in allowed)
        names = kinds[0] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} or {kinds[-1]}"
        raise DocumentError(f"The {what} must be a {names} file.")
    return Document(
        content=content,
        kind=kind,
        sha256=hashlib.sha256(content).hexdigest(),
        filename=_clean_filename(filename, kind),
    )
