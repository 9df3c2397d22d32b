"""Background tasks of this app: one export job, the periodic export round, clean-up,
the nightly retention run."""

from __future__ import annotations

from celery import shared_task

from assessments.questionnaires import throttle
from clinicians.background import TrackedTask

from .retention import retention_run
from .services import export_job_run, export_jobs_run_queued, export_jobs_sweep


@shared_task(base=TrackedTask, name="alliance.export_run")
def export_run(job_id: int) -> str:
    # Claimed by one conditional UPDATE: a task delivered twice writes the file once.
    return f"export {job_id}: {'written' if export_job_run(job_id) else 'already taken'}"


@shared_task(base=TrackedTask, name="alliance.exports")
def exports() -> str:
    """Requeue jobs whose worker died, then run any still waiting (e.g. queued while
    the broker was down)."""
    swept = export_jobs_sweep()
    ran = export_jobs_run_queued()
    return f"{ran} exports written, {swept['requeued']} requeued, {swept['expired']} expired"


@shared_task(base=TrackedTask, name="alliance.clean_up")
def clean_up() -> str:
    swept = export_jobs_sweep()
    counters = throttle.sweep()
    return (
        f"{swept['expired']} expired export files deleted, "
        f"{counters} old rate-limit counters removed"
    )


@shared_task(base=TrackedTask, name="alliance.retention")
def retention() -> str:
    # Every job runs even when one fails; a failure then raises, so it is retried and
    # shown in Console -> Background work.
    return "; ".join(retention_run())
