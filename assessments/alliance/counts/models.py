"""The clinic overview's kept counts: questionnaires sent by link, and completed."""

from __future__ import annotations

from django.db import models

from clinicians.models import Clinic, User


class SentCount(models.Model):
    """Client questionnaires sent by link or kiosk code for one therapist, made on one
    day of the clinic's calendar, and how many of those are completed (whenever).

    Derived data, kept in the transaction of each first link and each completion
    (`assessments.alliance.counts`), so the overview sums at most therapists × days
    rows instead of counting every questionnaire of the period. `manage.py
    recount_sent` compares it with a recount and rebuilds it.

    The therapist is the one the questionnaire was made for (`Administration.
    therapist`), so a transfer moves no counts: what a therapist sent stays theirs.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    therapist = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # Also the index of the overview's sum: a clinic's days, then therapists.
            models.UniqueConstraint(
                fields=["clinic", "day", "therapist"], name="one_sent_count_per_therapist_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} therapist {self.therapist_id}: {self.completed}/{self.sent}"
