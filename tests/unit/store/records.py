"""Small builders for store records in unit tests."""

from __future__ import annotations

from typing import Any

from genfactory.domain.statuses import JobStatus
from genfactory.store.jobs import JobRecord


def job_record(**fields: Any) -> JobRecord:
    values: dict[str, Any] = {
        "id": "0" * 32,
        "created_at": 1_700_000_000.0,
        "updated_at": 1_700_000_000.0,
        "status": JobStatus.COMPLETED,
        "status_changed_at": 1_700_000_000.0,
        "prompt": "a prompt",
        "label": None,
        "provider": "procedural",
        "params": {},
        "configuration_id": None,
        "configuration_name": None,
        "configuration_version": None,
        "rerun_of": None,
        "attempt": 1,
        "max_attempts": 3,
        "run_after": 1_700_000_000.0,
        "lease_owner": None,
        "lease_expires_at": None,
        "started_at": None,
        "attempt_started_at": None,
        "finished_at": None,
        "last_seq": 0,
        "stage": "completed",
        "percent": 100.0,
        "step": None,
        "total_steps": None,
        "progress_message": "",
        "error": None,
        "image_count": 0,
    }
    values.update(fields)
    return JobRecord(**values)
