"""One package per outside service partnerdesk talks to."""
