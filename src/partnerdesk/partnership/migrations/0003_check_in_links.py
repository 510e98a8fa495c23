# Check-in emails carry an access link (lib/access_links.py) instead of a signed token; check-ins
# sent before have no link, and their signed tokens are still honoured until they expire.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("partnership", "0002_missed_items_and_void_invoices"),
    ]

    operations = [
        migrations.CreateModel(
            name="CheckInLink",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("purpose", models.CharField(max_length=40)),
                ("token_hash", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField()),
                ("expires_at", models.DateTimeField()),
                ("used_at", models.DateTimeField(blank=True, null=True)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "check_in",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="link",
                        to="partnership.checkin",
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
    ]
