# Partner links move from the web app to documents (what they open is what documents shares), in
# the state only: the table keeps its name (web_partnerlink) and its rows. They become access links
# (lib/access_links.py): a purpose (every link so far opens the shared documents; technical's
# migration marks its form links) and a used_at column.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
        ("web", "0002_partnerlink"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PartnerLink",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("token_hash", models.CharField(max_length=64, unique=True)),
                        ("created_at", models.DateTimeField()),
                        ("created_by", models.CharField(blank=True, max_length=200)),
                        ("expires_at", models.DateTimeField()),
                        ("revoked_at", models.DateTimeField(blank=True, null=True)),
                        ("revoked_by", models.CharField(blank=True, max_length=200)),
                        ("last_opened_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "contact",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="pipeline.contact",
                            ),
                        ),
                    ],
                    options={"ordering": ["id"], "db_table": "web_partnerlink"},
                ),
            ],
        ),
        migrations.AddField(
            model_name="partnerlink",
            name="purpose",
            field=models.CharField(default="documents", max_length=40),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="partnerlink",
            name="used_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
