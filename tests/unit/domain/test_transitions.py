"""The status rules: every allowed move has a reason; refusals say why."""

from __future__ import annotations

import itertools

import pytest

from genfactory.domain.errors import TransitionError
from genfactory.domain.statuses import (
    TERMINAL,
    TRANSITIONS,
    JobStatus,
    check_manual_retry,
    check_transition,
)


def test_every_status_has_rules_and_every_rule_a_reason() -> None:
    assert set(TRANSITIONS) == set(JobStatus)
    for moves in TRANSITIONS.values():
        assert all(reason for reason in moves.values())


def test_happy_path_is_allowed() -> None:
    path = [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.UPLOADING, JobStatus.COMPLETED]
    for current, target in itertools.pairwise(path):
        assert check_transition(current, target)


def test_completed_only_goes_back_to_the_queue_to_regenerate_an_image() -> None:
    check_transition(JobStatus.COMPLETED, JobStatus.QUEUED)
    for target in JobStatus:
        if target is JobStatus.QUEUED:
            continue
        with pytest.raises(TransitionError):
            check_transition(JobStatus.COMPLETED, target)


@pytest.mark.parametrize(
    ("current", "target", "reason"),
    [
        (JobStatus.COMPLETED, JobStatus.CANCELLED, "already completed"),
        (JobStatus.CANCELLED, JobStatus.CANCELLED, "already cancelled"),
        (JobStatus.FAILED, JobStatus.CANCELLED, "already failed"),
        (JobStatus.FAILED, JobStatus.COMPLETED, "cannot become completed"),
        (JobStatus.QUEUED, JobStatus.UPLOADING, "cannot become uploading"),
    ],
)
def test_refusals_explain_themselves(current: JobStatus, target: JobStatus, reason: str) -> None:
    with pytest.raises(TransitionError) as refused:
        check_transition(current, target)
    assert reason in str(refused.value)
    assert refused.value.current == current.value and refused.value.target == target.value


def test_cancel_is_possible_until_the_job_ends() -> None:
    for status in JobStatus:
        allowed = JobStatus.CANCELLED in TRANSITIONS[status]
        assert allowed == (status not in TERMINAL)


def test_manual_retry_only_of_stopped_jobs() -> None:
    check_manual_retry(JobStatus.FAILED)
    check_manual_retry(JobStatus.CANCELLED)
    for status in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.UPLOADING, JobStatus.COMPLETED):
        with pytest.raises(TransitionError):
            check_manual_retry(status)
    with pytest.raises(TransitionError, match="rerun it instead"):
        check_manual_retry(JobStatus.COMPLETED)
