from __future__ import annotations

import email
import email.policy

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from partnerdesk.mail.composing import message_text
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import message_retry


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "status", "subject", "to", "engagement", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["subject", "message_id", "last_error"]
    list_select_related = ["engagement__organization"]
    exclude = ["raw"]
    # Messages change through the outbox functions only: every field is read-only here.
    readonly_fields = [
        *(field.name for field in OutboxMessage._meta.fields if field.name != "raw"),
        "message",
    ]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # messages are queued by partnerdesk, not typed here

    @admin.display(description="message as sent")
    def message(self, obj: OutboxMessage) -> SafeString:
        parsed = email.message_from_bytes(bytes(obj.raw), policy=email.policy.default)
        return format_html("<pre>{}</pre>", message_text(parsed, bcc=obj.bcc))

    @admin.action(description="Retry the selected failed messages", permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        failed = list(queryset.filter(status=OutboxMessage.Status.FAILED))
        for message in failed:
            message_retry(message=message)
        skipped = queryset.count() - len(failed)
        self.message_user(request, f"{len(failed)} message(s) queued again", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} message(s) skipped: not failed", messages.WARNING)
