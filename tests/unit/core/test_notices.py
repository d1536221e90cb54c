"""Notices (jobs deleted) on the in-process bus and on the wire: every global subscriber
gets them, the deleted jobs' own subscribers are told their job is gone, the wire names at
most ``MAX_NOTICE_IDS`` jobs, and a subscriber that falls behind gets one "reload" notice
instead of an ever longer queue."""

from __future__ import annotations

from genfactory.core.bus import MAX_PENDING_NOTICES, EventBus
from genfactory.core.fanout import _parse_notice
from genfactory.domain.events import MAX_NOTICE_IDS, Notice


def test_the_wire_names_at_most_max_notice_ids_jobs() -> None:
    few = Notice.jobs_deleted([f"{n:032x}" for n in range(MAX_NOTICE_IDS)], now=0.0)
    many = Notice.jobs_deleted([f"{n:032x}" for n in range(MAX_NOTICE_IDS + 1)], now=0.0)
    assert few.data()["job_ids"] == list(few.job_ids or ())
    assert few.data()["count"] == MAX_NOTICE_IDS
    assert many.data() == {"job_ids": None, "count": MAX_NOTICE_IDS + 1}
    assert many.body() == {
        "type": "jobs_deleted",
        "time": "1970-01-01T00:00:00.000000Z",
        "data": {"job_ids": None, "count": MAX_NOTICE_IDS + 1},
    }


async def test_global_subscribers_get_the_notice_and_the_deleted_jobs_streams_end() -> None:
    bus = EventBus()
    first, second = bus.subscribe_global(), bus.subscribe_global()
    doomed = bus.subscribe_job("a" * 32)
    spared = bus.subscribe_job("b" * 32)
    notice = Notice.jobs_deleted(["a" * 32], now=1.0)
    bus.publish_notice(notice)
    assert first.take_notices() == [notice] and second.take_notices() == [notice]
    assert first.wakeup.is_set()
    assert doomed.gone and doomed.wakeup.is_set()
    assert not spared.gone
    assert first.take_notices() == [], "taken once"


async def test_a_notice_naming_no_jobs_ends_only_the_streams_it_is_told() -> None:
    bus = EventBus()
    doomed = bus.subscribe_job("a" * 32)
    spared = bus.subscribe_job("b" * 32)
    assert sorted(bus.watched_jobs()) == ["a" * 32, "b" * 32]
    bus.publish_notice(Notice("jobs_deleted", 1.0, None, 5000), gone=["a" * 32])
    assert doomed.gone and not spared.gone


async def test_a_subscriber_that_falls_behind_gets_one_reload_notice() -> None:
    bus = EventBus()
    sub = bus.subscribe_global()
    for n in range(MAX_PENDING_NOTICES + 3):
        bus.publish_notice(Notice.jobs_deleted([f"{n:032x}"], now=float(n)))
    waiting = sub.take_notices()
    assert len(waiting) <= MAX_PENDING_NOTICES
    merged = [n for n in waiting if n.job_ids is None]
    assert len(merged) == 1
    assert sum(n.count for n in waiting) == MAX_PENDING_NOTICES + 3, "no deletion uncounted"


def test_a_notice_from_another_process_parses_or_is_ignored() -> None:
    parsed = _parse_notice(
        '{"origin": "p1", "type": "jobs_deleted", "time": 2.5, "job_ids": ["x"], "count": 1}'
    )
    assert parsed == ("p1", Notice("jobs_deleted", 2.5, ("x",), 1))
    assert _parse_notice("not json") is None
    assert _parse_notice('{"origin": "p1", "type": "unknown", "time": 1, "job_ids": null}') is None
