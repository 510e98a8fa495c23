"""`partnerdesk check`: what the profile's loading had to say about the mailbox."""

from __future__ import annotations

from django.core import checks

from partnerdesk.profile import PROFILE_NOTICES, get_profile


@checks.register("partnerdesk")
def profile_notices(app_configs, **kwargs) -> list[checks.CheckMessage]:  # noqa: ARG001 - Django's signature
    get_profile()  # loading is what finds them
    return [
        checks.Warning(text, id=f"partnerdesk.W{index:03d}") for index, text in enumerate(PROFILE_NOTICES, 1)
    ]
