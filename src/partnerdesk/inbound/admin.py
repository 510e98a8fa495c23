from __future__ import annotations

from django.contrib import admin

from partnerdesk.inbound.models import AutomaticReply, Booking, InboundMessage, WebhookDelivery

# Records of what arrived and what became of it: inspected here, changed only by processing
# (and `partnerdesk inbox retry`).


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["received_at", "from_addr", "subject", "status", "route", "engagement"]
    list_filter = ["status", "route", "channel"]
    search_fields = ["from_addr", "subject", "message_id"]
    list_select_related = ["engagement__organization"]
    exclude = ["raw"]
    readonly_fields = [
        "dedupe_key", "message_id", "content_hash", "channel", "from_addr", "subject", "size", "raw_path",
        "status", "route", "outcome", "attempts", "engagement", "received_at", "claimed_at", "processed_at",
        "hold_code_hash", "confirmed_by", "confirmed_at",
    ]  # fmt: skip


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["created_at", "invitee_email", "event_name", "start", "status", "engagement"]
    list_filter = ["status", "source"]
    search_fields = ["invitee_email", "invitee_name"]
    list_select_related = ["engagement__organization"]
    readonly_fields = [
        "key", "source", "invitee_email", "invitee_name", "event_name", "start", "status", "engagement",
        "outcome", "created_at",
    ]  # fmt: skip


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["received_at", "provider", "event", "status"]
    list_filter = ["provider", "status"]
    exclude = ["body"]
    readonly_fields = [
        "provider", "body_hash", "event", "status", "outcome", "attempts", "received_at", "claimed_at",
        "processed_at",
    ]  # fmt: skip


@admin.register(AutomaticReply)
class AutomaticReplyAdmin(admin.ModelAdmin):
    list_display = ["sent_on", "address", "answers_ours", "outbox"]
    list_filter = ["answers_ours"]
    search_fields = ["address"]
    readonly_fields = ["address", "outbox", "sent_on", "answers_ours"]
