"""Administering questionnaires: requests and links, the client's pages and the kiosk,
submissions, staff entry and corrections, emails and reminders."""
