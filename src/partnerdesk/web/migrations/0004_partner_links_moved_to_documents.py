# Partner links now belong to the documents app (its 0002); the table stays, so this forgets the
# model in the web app's state only. After technical's form links point at documents.PartnerLink.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("web", "0003_login_tokens_are_access_links"),
        ("documents", "0002_partner_links_move_here"),
        ("technical", "0004_form_links_are_partner_links_of_their_own_purpose"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="PartnerLink")]),
    ]
