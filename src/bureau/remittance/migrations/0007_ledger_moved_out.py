"""`LedgerEntry` leaves this app's state for `bureau.ledger` (ledger 0001 adopts it).

State only: the table `remittance_ledgerentry`, its rows, indexes, RLS policy and append-only
trigger (0002) stay exactly as they are.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("remittance", "0006_job_lease_plb_posted_by"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="LedgerEntry")],
            database_operations=[],
        ),
    ]
