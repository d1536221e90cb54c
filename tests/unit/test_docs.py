"""Reference docs are generated from the code and must not drift (regenerate with
``python -m genfactory._docs``)."""

from __future__ import annotations

import pytest

from genfactory._docs import DOCS, GENERATED
from genfactory.domain.events import EventType
from genfactory.settings import Settings


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_doc_is_current(name: str) -> None:
    assert (DOCS / name).read_text() == GENERATED[name](), (
        f"docs/{name} is stale: run python -m genfactory._docs"
    )


def test_every_event_type_and_setting_is_documented() -> None:
    events = (DOCS / "events.md").read_text()
    assert all(f"`{t.value}`" in events for t in EventType)
    settings = (DOCS / "settings.md").read_text()
    assert all(f"GENFACTORY_{name.upper()}" in settings for name in Settings.model_fields)
