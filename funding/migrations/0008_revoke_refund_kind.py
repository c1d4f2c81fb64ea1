from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("funding", "0007_payments_retention"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ledgerentry",
            name="kind",
            field=models.CharField(choices=[("commitment", "Bindung (Bewilligung)"), ("release", "Freigabe"),
                                            ("payment", "Auszahlung"), ("refund", "Rückzahlung (Erstattung)")],
                                   max_length=20, verbose_name="Art"),
        ),
    ]
