"""The demo's BAA inventory, mid-year, dated from the day it is seeded.

Every Summit practice has a client BAA in force but one (`NO_BAA_PRACTICE`: the inventory, the
dashboard and its setup pages show it missing); one client BAA runs out within 30 days
(`EXPIRING_PRACTICE`, no signed copy uploaded yet: the browser test uploads it). Four
subcontractors touch PHI for us: a clearinghouse, a cloud host, an offshore coding team and a
shredding vendor, whose BAA has expired, so the client BAAs relying on it show a flow-down gap.
A former scanning vendor's BAA was terminated. Every party and document is synthetic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from bureau.accounts.models import User
from bureau.compliance.baas import BaaTerms, baa_document_upload, baa_record, baa_set_relies_on
from bureau.compliance.baas import baa_terminate as terminate
from bureau.compliance.models.baa import BaaDirection, BusinessAssociateAgreement, VendorService
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice, Workspace

OFFICER = "carla.compliance"
NO_BAA_PRACTICE = "Pinecrest Women's Health"
EXPIRING_PRACTICE = "Bayview Pediatrics"
EXPIRING_IN_DAYS = 21
CLIENT_SCOPE = (
    "Demographics, insurance, encounters and claims (837P), remittances (835), denial and "
    "appeal correspondence for the practice's patients."
)
# Practices whose paper records the shredding vendor destroys; whose coding goes offshore.
SHREDDED_FOR = ("Lakeside Family Medicine", "Northgate Orthopedics")
CODED_OFFSHORE_FOR = ("Northgate Orthopedics", "Cedar Ridge Cardiology", "Riverbend Dermatology")


@dataclass(frozen=True)
class Vendor:
    name: str
    service: VendorService
    scope: str
    signed_days_ago: int
    expires_in_days: int | None  # None: evergreen; negative: expired
    notice_days: int | None
    auto_renew_months: int | None = None


VENDORS = {
    "clearinghouse": Vendor(
        "ClaimBridge Clearinghouse",
        VendorService.CLEARINGHOUSE,
        "837P claims, 999/277CA acknowledgements and 835 remittances in transit.",
        signed_days_ago=700,
        expires_in_days=30,
        notice_days=10,
        auto_renew_months=12,
    ),
    "cloud": Vendor(
        "Nimbus Cloud Hosting",
        VendorService.CLOUD_HOST,
        "Encrypted database and file storage of the whole book; backups.",
        signed_days_ago=900,
        expires_in_days=None,
        notice_days=5,
    ),
    "offshore": Vendor(
        "Meridian Coding Services (Pune)",
        VendorService.OFFSHORE_TEAM,
        "Remote access to encounters and claims for coding review; no downloads.",
        signed_days_ago=400,
        expires_in_days=330,
        notice_days=15,
    ),
    "shredding": Vendor(
        "ShredRight Document Destruction",
        VendorService.SHREDDING,
        "Paper EOBs and correspondence collected for certified destruction.",
        signed_days_ago=1100,
        expires_in_days=-12,
        notice_days=30,
    ),
}


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF with a title and a few lines of text (a synthetic signed copy)."""

    def text(value: str) -> str:
        return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    body = [f"BT /F1 16 Tf 72 740 Td ({text(title)}) Tj ET"]
    for n, line in enumerate(lines):
        body.append(f"BT /F1 11 Tf 72 {710 - 18 * n} Td ({text(line)}) Tj ET")
    stream = "\n".join(body).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def _document(baa: BusinessAssociateAgreement, actor: object) -> None:
    pdf = demo_pdf(
        f"Business Associate Agreement: {baa.party}",
        [
            "Synthetic demo document: no real party signed this.",
            f"Signed {baa.signed_on:%Y-%m-%d}, effective {baa.effective_on:%Y-%m-%d}.",
            f"Expires: {baa.expires_on or 'until terminated'}.",
            f"Breach notice: {baa.breach_notice_days or 60} days.",
        ],
    )
    slug = "".join(c if c.isalnum() else "-" for c in baa.party.lower()).strip("-")
    baa_document_upload(actor=actor, baa=baa, filename=f"baa-{slug}.pdf", content=pdf)  # type: ignore[arg-type]


def seed_baas(
    workspace: Workspace, say: Callable[[str], None] | None = None, *, today: date | None = None
) -> list[BusinessAssociateAgreement]:
    """The inventory described above, recorded through the services by the demo's officer."""
    from django.utils import timezone

    today = today or timezone.localdate()
    user = User.objects.filter(workspace=workspace, username=OFFICER).first()
    actor = resolve_actor(user) if user is not None else None
    if actor is None:
        return []
    made: list[BusinessAssociateAgreement] = []
    vendors: dict[str, BusinessAssociateAgreement] = {}
    for key, v in VENDORS.items():
        signed = today - timedelta(days=v.signed_days_ago)
        expires = None if v.expires_in_days is None else today + timedelta(days=v.expires_in_days)
        if v.auto_renew_months and expires is not None:
            expires = today - timedelta(days=v.signed_days_ago - 365)  # the first term's end
        baa = baa_record(
            actor=actor,
            direction=BaaDirection.SUBCONTRACTOR,
            terms=BaaTerms(
                phi_scope=v.scope,
                signed_on=signed,
                effective_on=signed,
                expires_on=expires,
                auto_renews=v.auto_renew_months is not None,
                renewal_term_months=v.auto_renew_months,
                renewal_terms="Renews for a year unless either side gives 90 days' notice."
                if v.auto_renew_months
                else "",
                breach_notice_days=v.notice_days,
                return_destroy_terms="Return or destroy all PHI within 30 days of termination; "
                "certificate of destruction to us.",
                vendor_name=v.name,
                vendor_service=v.service,
            ),
        )
        _document(baa, actor)
        vendors[key] = baa
        made.append(baa)
    former_signed = today - timedelta(days=1500)
    former = baa_record(
        actor=actor,
        direction=BaaDirection.SUBCONTRACTOR,
        terms=BaaTerms(
            phi_scope="Scanning of paper claims and EOBs.",
            signed_on=former_signed,
            effective_on=former_signed,
            breach_notice_days=15,
            vendor_name="DocuScan Imaging",
            vendor_service=VendorService.OTHER,
        ),
    )
    terminate(
        actor=actor,
        baa=former,
        terminated_on=today - timedelta(days=200),
        reason="Paper intake moved to the clearinghouse's portal; PHI returned, certificate kept.",
    )
    made.append(former)
    practices = Practice.objects.filter(workspace=workspace).order_by("pk")
    for n, practice in enumerate(practices):
        if practice.name == NO_BAA_PRACTICE:
            continue
        expiring = practice.name == EXPIRING_PRACTICE
        signed = today - timedelta(days=300 + 40 * n)
        expires = today + timedelta(days=EXPIRING_IN_DAYS if expiring else 400 + 30 * n)
        baa = baa_record(
            actor=actor,
            direction=BaaDirection.CLIENT,
            practice=practice,
            terms=BaaTerms(
                phi_scope=CLIENT_SCOPE,
                signed_on=signed,
                effective_on=signed,
                expires_on=expires,
                breach_notice_days=(10, 15, 30)[n % 3],
                renewal_terms="Renewed by a new signed agreement before expiry.",
                return_destroy_terms="At termination, return all PHI to the practice or destroy "
                "it, at the practice's choice, within 60 days.",
            ),
        )
        relies = [vendors["clearinghouse"], vendors["cloud"]]
        if practice.name in CODED_OFFSHORE_FOR:
            relies.append(vendors["offshore"])
        if practice.name in SHREDDED_FOR:
            relies.append(vendors["shredding"])
        baa_set_relies_on(actor=actor, baa=baa, subcontractors=relies)
        if not expiring:
            _document(baa, actor)
        made.append(baa)
    if say is not None:
        say(f"compliance: {len(made)} BAAs (a practice without, one expiring, a vendor expired)")
    return made
