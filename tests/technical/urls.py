"""The project's pages plus the technical form, until the root urlconf mounts it at p/tech/."""

from __future__ import annotations

from django.urls import include, path

from partnerdesk.urls import urlpatterns as project_urlpatterns

urlpatterns = list(project_urlpatterns)
if not any(getattr(pattern, "namespace", None) == "technical" for pattern in urlpatterns):
    urlpatterns.append(path("p/tech/", include("partnerdesk.technical.urls")))
