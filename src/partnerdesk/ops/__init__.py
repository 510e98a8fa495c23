"""Running partnerdesk: backup and restore of a whole installation (`backup.py`, `restore.py`).

Not a Django app: no models. The commands are `partnerdesk backup` and `partnerdesk restore`
(pipeline/management/commands/); docs/backups.md is the sysadmin's page.
"""
