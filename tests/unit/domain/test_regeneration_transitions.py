"""The moves a regeneration needs, and the rules they leave intact."""

from __future__ import annotations

import pytest

from genfactory.domain.errors import TransitionError
from genfactory.domain.statuses import JobStatus, check_manual_retry, check_transition


def test_a_completed_job_goes_back_to_the_queue_only_to_regenerate() -> None:
    assert "regenerated" in check_transition(JobStatus.COMPLETED, JobStatus.QUEUED)
    for target in (JobStatus.RUNNING, JobStatus.UPLOADING, JobStatus.FAILED, JobStatus.CANCELLED):
        with pytest.raises(TransitionError):
            check_transition(JobStatus.COMPLETED, target)
    # A person still cannot *retry* a completed job: retry is for failed or cancelled ones.
    with pytest.raises(TransitionError, match="rerun it instead"):
        check_manual_retry(JobStatus.COMPLETED)


@pytest.mark.parametrize("current", [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.UPLOADING])
def test_a_regeneration_ends_completed_from_any_unfinished_status(current: JobStatus) -> None:
    assert check_transition(current, JobStatus.COMPLETED)


def test_failed_and_cancelled_jobs_still_cannot_complete() -> None:
    for current in (JobStatus.FAILED, JobStatus.CANCELLED):
        with pytest.raises(TransitionError, match="cannot become completed"):
            check_transition(current, JobStatus.COMPLETED)
