"""The ledger moves in from `remittance` (remittance 0007 took it out of that app's state).

State only: the table `remittance_ledgerentry` already holds every entry, and keeps its name
(`db_table`), its indexes, its unique key, its RLS policy and its append-only trigger. No row is
copied, rewritten or dropped. On a fresh database remittance 0001 created the table and this
migration adopts it the same way. The content type is renamed so anything keyed on it follows.
"""

import bureau.clock
import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


def _move_content_type(apps, schema_editor, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label=target, model="ledgerentry").exists():
        content_type.objects.filter(app_label=source, model="ledgerentry").update(app_label=target)


def adopt_content_type(apps, schema_editor):
    _move_content_type(apps, schema_editor, "remittance", "ledger")


def give_back_content_type(apps, schema_editor):
    _move_content_type(apps, schema_editor, "ledger", "remittance")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('claims', '0004_business_clock'),
        ('remittance', '0007_ledger_moved_out'),
        ('tenancy', '0002_practice_claim_sequence'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='LedgerEntry',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                    ('sequence', models.PositiveIntegerField()),
                    ('kind', models.CharField(choices=[('charge', 'Charge'), ('payment', 'Payment'), ('adjustment', 'Adjustment'), ('patient_resp', 'Transfer to patient'), ('write_off', 'Write-off'), ('refund', 'Refund')], max_length=12)),
                    ('amount', models.DecimalField(decimal_places=2, max_digits=12)),
                    ('balance_after', models.DecimalField(decimal_places=2, max_digits=12)),
                    ('group_code', models.CharField(blank=True, max_length=2)),
                    ('reason_code', models.CharField(blank=True, max_length=5)),
                    ('effective_date', models.DateField()),
                    ('posted_at', models.DateTimeField(default=bureau.clock.now)),
                    ('note', models.CharField(blank=True, max_length=200)),
                    ('claim', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='ledger', to='claims.claim')),
                    ('claim_line', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='ledger', to='claims.claimline')),
                    ('era', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='remittance.era')),
                    ('posted_by', models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('practice', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.practice')),
                    ('reverses', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.ledgerentry')),
                    ('workspace', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.workspace')),
                ],
                options={
                    'db_table': 'remittance_ledgerentry',
                    'ordering': ['claim_line_id', 'sequence'],
                    'indexes': [models.Index(fields=['workspace', 'practice', 'effective_date'], name='remittance__workspa_5ae3c6_idx')],
                    'constraints': [models.UniqueConstraint(fields=('claim_line', 'sequence'), name='ledger_line_sequence')],
                },
            ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(adopt_content_type, give_back_content_type),
    ]
