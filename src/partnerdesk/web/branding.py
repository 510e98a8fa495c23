"""The organization's brand on every page: its name, an optional logo and header colour.

All of it comes from the profile's [organization] section (a file, never the database). The pages
allow no inline style, so the colour reaches them as a small stylesheet (`brand_stylesheet`), and
a logo on another host is allowed by adding that host to the images the policy accepts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponseBase

from partnerdesk.profile import get_profile

INK = "#1d2433"  # app.css's --ink: the text on a light header
WHITE = "#ffffff"


@dataclass(frozen=True)
class Brand:
    name: str
    logo_url: str
    accent_colour: str

    @property
    def stylesheet_version(self) -> str:
        """Changes with the colour, so a browser never keeps an old colour from its cache."""
        return hashlib.sha256(self.accent_colour.encode()).hexdigest()[:10]

    @property
    def logo_origin(self) -> str:
        """`https://host` of a logo on another site; "" for none or one on this site."""
        if not self.logo_url.startswith("https://"):
            return ""
        return "https://" + urlsplit(self.logo_url).netloc


def current_brand() -> Brand:
    organization = get_profile().organization
    return Brand(organization.name, organization.logo_url, organization.accent_colour)


def _luminance(colour: str) -> float:
    """WCAG relative luminance of #rgb or #rrggbb."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = []
    for i in (0, 2, 4):
        c = int(digits[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_colour_on(background: str) -> str:
    """White or the app's ink, whichever reads better on the background."""
    return WHITE if contrast(WHITE, background) >= contrast(INK, background) else INK


def brand_stylesheet(brand: Brand) -> str:
    if not brand.accent_colour:
        return "/* no accent colour in the profile: app.css's header */\n"
    ink = text_colour_on(brand.accent_colour)
    return (
        "/* The profile's [organization] accent_colour. */\n"
        f"header.top {{ background: {brand.accent_colour}; color: {ink}; }}\n"
        f"header.top a, header.top .brand {{ color: {ink}; }}\n"
    )


class BrandCSPMiddleware(CSPMiddleware):
    """django-csp's policy, with the host of the profile's logo among the allowed images."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        origin = current_brand().logo_origin
        if origin and not report_only:
            update = dict(parts.update or {})
            update["img-src"] = [*update.get("img-src", []), origin]
            parts.update = update
        return parts
