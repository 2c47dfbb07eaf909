"""Key the audit chain (HMAC under BUREAU_AUDIT_KEY) without rewriting a row.

Every chain that exists now was hashed with unkeyed SHA-256. Each gets one keyed
`audit.chain_keyed` event whose HMAC covers the last unkeyed hash: from here on the unkeyed
prefix cannot change without breaking a keyed link, and verify requires a keyed head (see
`bureau.audit.chain`). Needs the key the application will run with.
"""

from django.db import migrations, models
from django.utils import timezone

from bureau.audit.chain import link


def close_unkeyed_chains(apps, schema_editor):
    Head = apps.get_model("audit", "AuditChainHead")
    Event = apps.get_model("audit", "AuditEvent")
    for head in Head.objects.filter(seq__gt=0).order_by("chain"):
        workspace_id = int(head.chain.split(":", 1)[1]) if head.chain != "global" else None
        event = Event(
            workspace_id=workspace_id,
            seq=head.seq + 1,
            occurred_at=timezone.now(),
            actor_label="system",
            action="audit.chain_keyed",
            reason="audit chain keyed with BUREAU_AUDIT_KEY",
            detail={"unkeyed_through_seq": head.seq},
            prev_hash=head.hash,
        )
        event.hash = link(head.hash, event)
        event.save(force_insert=True)
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0008_era_claim_matched'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('auth.login', 'auth.login'), ('auth.login_failed', 'auth.login_failed'), ('auth.locked_out', 'auth.locked_out'), ('auth.logout', 'auth.logout'), ('auth.idle_logout', 'auth.idle_logout'), ('mfa.enrolled', 'mfa.enrolled'), ('mfa.verified', 'mfa.verified'), ('mfa.failed', 'mfa.failed'), ('mfa.reset', 'mfa.reset'), ('context.switched', 'context.switched'), ('user.created', 'user.created'), ('user.deactivated', 'user.deactivated'), ('user.reactivated', 'user.reactivated'), ('grant.created', 'grant.created'), ('grant.revoked', 'grant.revoked'), ('patient.listed', 'patient.listed'), ('patient.viewed', 'patient.viewed'), ('patient.created', 'patient.created'), ('patient.updated', 'patient.updated'), ('audit.viewed', 'audit.viewed'), ('audit.purged', 'audit.purged'), ('audit.chain_keyed', 'audit.chain_keyed'), ('system.seeded', 'system.seeded'), ('setting.changed', 'setting.changed'), ('setting.cleared', 'setting.cleared'), ('config.imported', 'config.imported'), ('config.exported', 'config.exported'), ('provider.created', 'provider.created'), ('provider.updated', 'provider.updated'), ('payer.created', 'payer.created'), ('payer.updated', 'payer.updated'), ('enrollment.created', 'enrollment.created'), ('enrollment.updated', 'enrollment.updated'), ('fee_schedule.imported', 'fee_schedule.imported'), ('contract_rates.imported', 'contract_rates.imported'), ('claim.state_changed', 'claim.state_changed'), ('encounter.created', 'encounter.created'), ('encounter.updated', 'encounter.updated'), ('claim.created', 'claim.created'), ('claim.listed', 'claim.listed'), ('claim.viewed', 'claim.viewed'), ('claim.scrubbed', 'claim.scrubbed'), ('coverage.created', 'coverage.created'), ('batch.built', 'batch.built'), ('batch.downloaded', 'batch.downloaded'), ('batch.transmitted', 'batch.transmitted'), ('ack.received', 'ack.received'), ('era.uploaded', 'era.uploaded'), ('era.ingested', 'era.ingested'), ('era.duplicate', 'era.duplicate'), ('era.listed', 'era.listed'), ('era.viewed', 'era.viewed'), ('era.downloaded', 'era.downloaded'), ('era_exception.listed', 'era_exception.listed'), ('era_exception.resolved', 'era_exception.resolved'), ('era_claim.matched', 'era_claim.matched'), ('ledger.charges_posted', 'ledger.charges_posted'), ('ledger.viewed', 'ledger.viewed'), ('denial.listed', 'denial.listed'), ('denial.viewed', 'denial.viewed'), ('denial.updated', 'denial.updated'), ('simulator.ran', 'simulator.ran')], max_length=40),
        ),
        migrations.RunPython(close_unkeyed_chains, migrations.RunPython.noop),
    ]
