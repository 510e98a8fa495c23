from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from partnerdesk.web.views import agreement as agreement_views
from partnerdesk.web.views import audit, auth, board, dashboard, engagement, inbox, outbox, partner, playbooks
from partnerdesk.web.views import pages as site_pages
from partnerdesk.web.views import partnership as partner_views
from partnerdesk.web.views import technical as technical_views

# Every page needs sign-in except the sign-in pages and the webhooks under hooks/.
urlpatterns = [
    path("", board.board, name="home"),
    path("board/<str:stage>/", board.board_column, name="board-column"),
    path("leads/new/", board.lead_create, name="lead-create"),
    path("engagements/", board.engagement_list_page, name="engagement-list"),
    path("engagements/<str:reference>/", engagement.engagement_page, name="engagement"),
    path("engagements/<str:reference>/move/", engagement.engagement_move, name="engagement-move"),
    path("engagements/<str:reference>/qualify/", engagement.engagement_qualify, name="engagement-qualify"),
    path("engagements/<str:reference>/note/", engagement.engagement_note, name="engagement-note"),
    path("engagements/<str:reference>/merge/", engagement.engagement_merge_view, name="engagement-merge"),
    path(
        "engagements/<str:reference>/contacts/",
        engagement.engagement_contact_add,
        name="engagement-contact-add",
    ),
    path(
        "engagements/<str:reference>/contacts/<int:contact_id>/edit/",
        engagement.engagement_contact_edit,
        name="engagement-contact-edit",
    ),
    path(
        "engagements/<str:reference>/organization/",
        engagement.engagement_organization_edit,
        name="engagement-organization-edit",
    ),
    path("engagements/<str:reference>/tasks/", engagement.engagement_task_add, name="engagement-task-add"),
    path("engagements/<str:reference>/tasks/<int:task_id>/", engagement.task_toggle, name="task-toggle"),
    path(
        "engagements/<str:reference>/verbal-yes/",
        engagement.engagement_verbal_yes,
        name="engagement-verbal-yes",
    ),
    path(
        "engagements/<str:reference>/executed-close/",
        engagement.engagement_executed_close,
        name="engagement-executed-close",
    ),
    path(
        "engagements/<str:reference>/agreement/upload/",
        agreement_views.agreement_upload,
        name="agreement-upload",
    ),
    path(
        "engagements/<str:reference>/agreement/terms/",
        agreement_views.agreement_terms,
        name="agreement-terms",
    ),
    path(
        "engagements/<str:reference>/agreement/signatories/",
        agreement_views.agreement_signatory_add,
        name="agreement-signatory-add",
    ),
    path(
        "engagements/<str:reference>/agreement/signatories/remove/",
        agreement_views.agreement_signatory_remove,
        name="agreement-signatory-remove",
    ),
    path(
        "engagements/<str:reference>/agreement/addenda/",
        agreement_views.agreement_addendum_add,
        name="agreement-addendum-add",
    ),
    path(
        "engagements/<str:reference>/agreement/addenda/<int:addendum_id>/remove/",
        agreement_views.agreement_addendum_remove,
        name="agreement-addendum-remove",
    ),
    path(
        "engagements/<str:reference>/agreement/ready/",
        agreement_views.agreement_ready,
        name="agreement-ready",
    ),
    path(
        "engagements/<str:reference>/agreement/executed/",
        agreement_views.agreement_executed_upload,
        name="agreement-executed",
    ),
    path(
        "engagements/<str:reference>/agreement/versions/<int:version_id>/",
        agreement_views.agreement_version_download,
        name="agreement-version-download",
    ),
    path(
        "engagements/<str:reference>/playbooks/<str:name>/",
        playbooks.playbook_preview_page,
        name="playbook-preview",
    ),
    path(
        "engagements/<str:reference>/playbooks/<str:name>/run/",
        playbooks.playbook_run_view,
        name="playbook-run",
    ),
    path(
        "engagements/<str:reference>/runs/<int:run_id>/",
        playbooks.playbook_run_page,
        name="playbook-run-page",
    ),
    path(
        "engagements/<str:reference>/partner-links/<int:link_id>/revoke/",
        engagement.partner_link_revoke_view,
        name="partner-link-revoke",
    ),
    path(
        "engagements/<str:reference>/contacts/<int:contact_id>/partner-link/",
        engagement.partner_link_send_view,
        name="partner-link-send",
    ),
    # The partner phase (web/views/partnership.py, web/views/technical.py).
    path("invoices/", partner_views.invoice_list, name="invoices"),
    path("invoices/<str:number>/pdf/", partner_views.invoice_download, name="invoice-pdf"),
    path("invoices/<str:number>/paid/", partner_views.invoice_paid, name="invoice-paid"),
    path("invoices/<str:number>/void/", partner_views.invoice_void, name="invoice-void"),
    path("invoices/<str:number>/resend/", partner_views.invoice_resend, name="invoice-resend"),
    path(
        "engagements/<str:reference>/items/<int:tickler_id>/send/",
        partner_views.tickler_send,
        name="item-send",
    ),
    path(
        "engagements/<str:reference>/items/<int:tickler_id>/issue/",
        partner_views.tickler_issue,
        name="item-issue",
    ),
    path(
        "engagements/<str:reference>/items/<int:tickler_id>/skip/",
        partner_views.tickler_skip_view,
        name="item-skip",
    ),
    path(
        "engagements/<str:reference>/items/<int:tickler_id>/done/",
        partner_views.tickler_done_view,
        name="item-done",
    ),
    path(
        "engagements/<str:reference>/check-ins/<int:check_in_id>/",
        partner_views.check_in_record,
        name="check-in-record",
    ),
    path("engagements/<str:reference>/renewal/", partner_views.renewal_record_view, name="renewal-record"),
    path(
        "engagements/<str:reference>/agreement/preview/",
        partner_views.agreement_preview_page,
        name="agreement-preview",
    ),
    path(
        "engagements/<str:reference>/technical/answers/",
        technical_views.technical_answers,
        name="technical-answers",
    ),
    path(
        "engagements/<str:reference>/technical/handoff/",
        technical_views.handoff_queue,
        name="technical-handoff",
    ),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("audit/", audit.audit_download, name="audit"),
    path("engagements/<str:reference>/audit/", audit.audit_download, name="engagement-audit"),
    path("invitations/", auth.invitation_create, name="invitation-create"),
    path("playbooks/", playbooks.playbook_list, name="playbooks"),
    path("inbox/", inbox.inbox_list, name="inbox"),
    path("inbox/<int:message_id>/", inbox.inbox_message, name="inbox-message"),
    path("inbox/<int:message_id>/confirm/", inbox.inbox_message_confirm, name="inbox-message-confirm"),
    path("inbox/<int:message_id>/dismiss/", inbox.inbox_message_dismiss, name="inbox-message-dismiss"),
    path("inbox/<int:message_id>/retry/", inbox.inbox_message_retry, name="inbox-message-retry"),
    path(
        "inbox/<int:message_id>/attachments/<int:number>/",
        inbox.inbox_attachment,
        name="inbox-attachment",
    ),
    path("outbox/", outbox.outbox_list, name="outbox"),
    path("outbox/<int:message_id>/", outbox.outbox_message, name="outbox-message"),
    path(
        "outbox/<int:message_id>/attachments/<int:number>/",
        outbox.outbox_attachment,
        name="outbox-attachment",
    ),
    path("outbox/<int:message_id>/retry/", outbox.outbox_retry, name="outbox-retry"),
    path("login/", auth.SignInView.as_view(), name="login"),
    path("login/token/<str:token>/", auth.login_with_token, name="login-token"),
    path("logout/", auth_views.LogoutView.as_view(next_page="signed-out"), name="logout"),
    path("signed-out/", site_pages.signed_out, name="signed-out"),
    path("brand.css", site_pages.brand_css, name="brand-css"),
    path("favicon.ico", site_pages.favicon),
    path("welcome/<uidb64>/<token>/", auth.InvitationAcceptView.as_view(), name="invitation-accept"),
    # The admin signs in through the sign-in page above, so one throttle covers both (no name: a redirect).
    path("admin/login/", auth.admin_login),
    path("admin/", admin.site.urls),
    path("hooks/", include("partnerdesk.inbound.urls")),
    # Partner-facing pages: reached by access links (lib/access_links.py), without sign-in.
    path("p/checkin/", include("partnerdesk.partnership.urls")),
    path("p/tech/", include("partnerdesk.technical.urls")),
    # The documents shared with one contact (documents/partner_links.py): every view checks the token.
    path("p/docs/<str:token>/", partner.partner_open, name="partner-open"),
    path("p/docs/<str:token>/shared/", partner.partner_documents, name="partner-documents"),
    path(
        "p/docs/<str:token>/notes/<int:document_id>/",
        partner.partner_notes_append,
        name="partner-notes-append",
    ),
    path("p/docs/<str:token>/files/<int:document_id>/", partner.partner_download, name="partner-download"),
    path("p/docs/<str:token>/files/<int:document_id>/upload/", partner.partner_upload, name="partner-upload"),
]

# Branded error pages that need no database (web/views/pages.py).
handler403 = site_pages.forbidden
handler404 = site_pages.not_found
handler500 = site_pages.server_error
