# Form links point at partner links, which moved to the documents app (the table stayed: state
# only). A form link's partner link gets the purpose "technical-form", so it no longer opens the
# shared-documents pages, and carries the form's one submission as its use (used_at), which
# replaces the form link's own submitted_at.

import django.db.models.deletion
from django.db import migrations, models


def _form_links_purpose_and_use(apps, schema_editor):
    form_links = apps.get_model("technical", "TechnicalFormLink")
    partner_links = apps.get_model("documents", "PartnerLink")
    for form_link in form_links.objects.all():
        partner_links.objects.filter(pk=form_link.link_id).update(
            purpose="technical-form", used_at=form_link.submitted_at
        )


def _form_links_submitted_back(apps, schema_editor):
    form_links = apps.get_model("technical", "TechnicalFormLink")
    partner_links = apps.get_model("documents", "PartnerLink")
    for form_link in form_links.objects.select_related("link"):
        form_links.objects.filter(pk=form_link.pk).update(submitted_at=form_link.link.used_at)
        partner_links.objects.filter(pk=form_link.link_id).update(purpose="documents", used_at=None)


class Migration(migrations.Migration):
    dependencies = [
        ("technical", "0003_handoff_queue"),
        ("documents", "0002_partner_links_move_here"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="technicalformlink",
                    name="link",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="documents.partnerlink",
                    ),
                ),
            ],
        ),
        migrations.RunPython(_form_links_purpose_and_use, _form_links_submitted_back),
        migrations.RemoveField(model_name="technicalformlink", name="submitted_at"),
    ]
