"""The claim carries its encounter's date of service (issue 12): the claims list sorts by it
through an index instead of joining every visible claim to its encounter first. Existing claims
take their encounter's date; the column is then required."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_encounter_dates(apps, schema_editor):
    Claim = apps.get_model("claims", "Claim")
    Encounter = apps.get_model("claims", "Encounter")
    Claim.objects.update(
        date_of_service=Subquery(
            Encounter.objects.filter(pk=OuterRef("encounter_id")).values("date_of_service")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0005_corrections"),
        ("tenancy", "0002_practice_claim_sequence"),
    ]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="date_of_service",
            field=models.DateField(editable=False, null=True),
        ),
        migrations.RunPython(copy_encounter_dates, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="claim",
            name="date_of_service",
            field=models.DateField(editable=False),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                fields=["workspace", "-date_of_service", "-id"], name="claim_list_by_service"
            ),
        ),
    ]
