"""The project's pages plus the audit downloads, until the root urlconf has them."""

from __future__ import annotations

from django.urls import path

from partnerdesk.urls import urlpatterns as project_urlpatterns
from partnerdesk.web.views import audit

urlpatterns = list(project_urlpatterns)
if not any(getattr(pattern, "name", None) == "audit" for pattern in urlpatterns):
    urlpatterns += [
        path("audit/", audit.audit_download, name="audit"),
        path("engagements/<str:reference>/audit/", audit.audit_download, name="engagement-audit"),
    ]
