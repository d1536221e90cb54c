"""The SSE message of an event: built once for every subscriber, the same envelope as the
other transports."""

import json

from genfactory.api.events import _global_sse, _job_sse
from genfactory.domain.events import Event


def _event(data: dict[str, object]) -> Event:
    return Event(job_id="job-1", seq=7, id=4021, type="log", time=1765000000.25, data=data)


def test_one_message_per_event_whoever_sends_it() -> None:
    event = _event({"message": "step 3"})

    first = event.memo("sse_job", _job_sse)

    assert event.memo("sse_job", _job_sse) is first
    assert event.memo("sse_global", _global_sse) is not first


def test_job_stream_cursor_is_the_seq_and_global_stream_cursor_the_id() -> None:
    event = _event({"message": "step 3"})

    assert _job_sse(event).id == "7"
    assert _global_sse(event).id == "4021"


def test_encoded_data_is_the_envelope_every_transport_sends() -> None:
    data = {
        "message": "Größe 512×512 — «ok» 🎨",
        "percent": 37.5,
        "step": 3,
        "done": False,
        "reason": None,
        "nested": {"sizes": [1, 2.5, "x"], "empty": {}},
    }
    event = _event(data)

    # FastAPI encodes a model payload with model_dump_json (fastapi/routing.py)
    encoded = _job_sse(event).data.model_dump_json()

    assert json.loads(encoded) == event.envelope() == json.loads(event.to_json())
