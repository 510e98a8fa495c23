"""Calendly: booking notifications (forwarded emails and signed webhooks) become bookings."""
