"""Import from Freshdesk (API v2): tickets become engagements, conversations timeline emails."""
