"""partnerdesk: a partnerships assistant that runs a service organization's SOP handbook."""

__version__ = "0.1.0"
