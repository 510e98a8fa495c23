"""The satisfaction check-in page: reached from the email's link (an access link), no sign-in.

GET shows the five ratings, the one chosen in the email marked, and an optional comment box; it
writes nothing (mail scanners follow every link in a message). One click on a rating sends it
(POST), once.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from partnerdesk.partnership.checkins import RATINGS, CheckInRefused, check_in_answer, check_in_from_token


def _rating(value: str | int) -> int:
    try:
        rating = int(value)
    except (TypeError, ValueError):
        rating = 0
    if rating not in RATINGS:
        raise CheckInRefused("Choose a rating from 1 to 5.")
    return rating


@require_http_methods(["GET", "POST"])
def check_in(request: HttpRequest, token: str, rating: int) -> HttpResponse:
    try:
        found = check_in_from_token(token)
        rating = _rating(rating)
        if request.method == "POST":
            # The button clicked on the page, else the rating the email's link carries.
            chosen = _rating(request.POST.get("rating") or rating)
            check_in_answer(check_in=found, rating=chosen, comment=request.POST.get("comment", ""))
            context = {"check_in": found, "rating": chosen, "label": RATINGS[chosen]}
            return render(request, "partnership/check_in_done.html", context)
    except CheckInRefused as refused:
        return render(request, "partnership/check_in_refused.html", {"reason": str(refused)}, status=410)
    context = {"check_in": found, "rating": rating, "label": RATINGS[rating], "ratings": RATINGS}
    return render(request, "partnership/check_in.html", context)
