from django.db import migrations, models


def backfill(apps, schema_editor):
    """Start each practice's counter after the highest sequence its claims already use (both
    the old `CODE0000000001` and the `CODE-000001` formats)."""
    Practice = apps.get_model("tenancy", "Practice")
    Claim = apps.get_model("claims", "Claim")
    for practice in Practice.objects.all():
        highest = 0
        for number in (
            Claim.objects.filter(practice_id=practice.pk)
            .values_list("number", flat=True)
            .iterator()
        ):
            if not number.upper().startswith(practice.code.upper()):
                continue
            digits = number[len(practice.code) :].lstrip("-").rstrip("ST")
            if digits.isascii() and digits.isdigit():
                highest = max(highest, int(digits))
        Practice.objects.filter(pk=practice.pk).update(claim_sequence=highest)


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0001_initial"),
        ("claims", "0003_claim_payer_claim_number_acknowledgement"),
    ]

    operations = [
        migrations.AddField(
            model_name="practice",
            name="claim_sequence",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
