"""The one base class of the errors whose message is written for the user, as it is.

Commands print such an error on one line, the web shows it on the page; anything else is a bug and
gets a traceback in the log. It lives here so the command base class (`lib/commands.py`) can catch
the domain's errors without importing the domain.
"""

from __future__ import annotations


class UserError(Exception):
    """A request refused for a reason the user can act on; the message says which."""
