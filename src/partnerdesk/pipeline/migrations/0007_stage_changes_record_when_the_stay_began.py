"""Stage changes made before `engagement_move` recorded `stage_since` get it now: the time of
the engagement's previous stage change, or its creation for the first. Reports then read one
row per stay."""

from django.db import migrations

BATCH = 500


def record_stay_beginnings(apps, schema_editor):
    TimelineEntry = apps.get_model("pipeline", "TimelineEntry")
    changes = (
        TimelineEntry.objects.filter(kind="stage_changed")
        .select_related("engagement")
        .order_by("engagement_id", "at", "id")
    )
    pending = []
    engagement_id, began = None, None
    for change in changes.iterator(chunk_size=BATCH):
        data = change.data if isinstance(change.data, dict) else {}
        if not data.get("from") or not data.get("to"):
            continue
        if change.engagement_id != engagement_id:
            engagement_id, began = change.engagement_id, change.engagement.created_at
        if "stage_since" not in data:
            change.data = {**data, "stage_since": began.isoformat()}
            pending.append(change)
        began = change.at
        if len(pending) >= BATCH:
            TimelineEntry.objects.bulk_update(pending, ["data"])
            pending = []
    if pending:
        TimelineEntry.objects.bulk_update(pending, ["data"])


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0006_stage_change_indexes")]

    operations = [migrations.RunPython(record_stay_beginnings, migrations.RunPython.noop)]
