"""Counts the clinic overview reads, kept as questionnaires are sent and completed.

`models` holds the table, `keep` the two calls on the write paths (a questionnaire's
first link, its completion) and the overview's read, `recount` the rebuild and the
drift check behind `manage.py recount_sent`. Nothing is imported here, so that
`assessments.models` can load the table's model without a cycle.
"""
