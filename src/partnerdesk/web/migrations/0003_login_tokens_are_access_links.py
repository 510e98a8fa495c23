# Sign-in links share the access-link columns (lib/access_links.py); existing links are sign-in links.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("web", "0002_partnerlink"),
    ]

    operations = [
        migrations.AddField(
            model_name="logintoken",
            name="purpose",
            field=models.CharField(default="sign-in", max_length=40),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="logintoken",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
