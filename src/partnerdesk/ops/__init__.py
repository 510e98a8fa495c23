"""What reads and writes the whole installation, every app at once: backup and restore
(`backup.py`, `restore.py`), archiving, and merging two engagements (`merging.py`). It sits above
the apps and below the web in the layers (ARCHITECTURE.md), so any app's rows are in reach.

Not a Django app: no models. The commands are `partnerdesk backup` and `partnerdesk restore`
(pipeline/management/commands/); docs/backups.md is the sysadmin's page.
"""
