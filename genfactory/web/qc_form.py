"""The quality-check part of the configuration form, read from :class:`QCConfig`.

The Configurations page renders one checkbox per :class:`QCCheck` (its help text is the
check's docstring) and, under each check, the number fields of the thresholds that tune it
(range, default and help text from the model's JSON schema). Nothing is written twice, so
the form follows the model when a check or a threshold changes.
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import re
from dataclasses import dataclass
from typing import Any

from genfactory.qc.config import QCCheck, QCConfig

#: What each quality check is called on the Configurations page (its help text is the
#: check's docstring in genfactory/qc/config.py, so the two cannot drift apart).
QC_CHECK_LABELS = {
    QCCheck.BLANK: "Blank image",
    QCCheck.BLUR: "Blurry image",
    QCCheck.DIMENSIONS: "Wrong size",
    QCCheck.DUPLICATE: "Near-duplicate",
}


@dataclass(frozen=True)
class QCThresholdField:
    """One threshold of :class:`QCConfig` as a number field (from its JSON schema)."""

    name: str
    label: str
    help: str
    range_text: str
    integer: bool
    default: float | int
    minimum: float | int | None
    maximum: float | int | None
    exclusive_minimum: float | int | None


@dataclass(frozen=True)
class QCCheckField:
    """One quality check as a checkbox, with the thresholds that tune it."""

    value: str
    label: str
    help: str
    default_on: bool
    thresholds: tuple[QCThresholdField, ...]


def _member_docs(enum_class: type) -> dict[str, str]:
    """The docstrings written under an enum's members (Python keeps none at run time)."""
    try:
        tree = ast.parse(inspect.getsource(enum_class))
    except (OSError, TypeError, SyntaxError):
        return {}
    docs: dict[str, str] = {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    for node, after in itertools.pairwise(body):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[node.targets[0].id] = " ".join(after.value.value.split())
    return docs


def _field_label(name: str) -> str:
    words = name.split("_")
    words[0] = {"min": "minimum", "max": "maximum"}.get(words[0], words[0])
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _range_text(spec: dict[str, Any]) -> str:
    low, high = spec.get("minimum"), spec.get("maximum")
    above = spec.get("exclusiveMinimum")
    if above is not None and high is not None:
        span = f"More than {_number(above)}, at most {_number(high)}"
    elif low is not None and high is not None:
        span = f"{_number(low)}–{_number(high)}"
    elif low is not None:
        span = f"At least {_number(low)}"
    else:
        span = "Any number"
    return f"{span}; default {_number(spec['default'])}."


@functools.cache
def qc_form_fields() -> tuple[QCCheckField, ...]:
    """The quality-check part of the configuration form, read from :class:`QCConfig`:
    a checkbox per check and, under it, the thresholds whose description starts with
    "<Check> check:"; the descriptions become the help texts."""
    properties = QCConfig.model_json_schema()["properties"]
    labels = {name: _field_label(name) for name in properties}
    thresholds: dict[str, list[QCThresholdField]] = {check.value: [] for check in QCCheck}
    for name, spec in properties.items():
        if name == "checks":
            continue
        description = " ".join(str(spec.get("description", "")).split())
        match = re.match(r"(\w+) check: (.*)", description)
        check, text = (match.group(1).lower(), match.group(2)) if match else ("", description)
        text = re.sub(r"`(\w+)`", lambda m: f"“{labels.get(m.group(1), m.group(1))}”", text)
        text = text[:1].upper() + text[1:]
        field = QCThresholdField(
            name=name,
            label=labels[name],
            help=text,
            range_text=_range_text(spec),
            integer=spec.get("type") == "integer",
            default=spec["default"],
            minimum=spec.get("minimum"),
            maximum=spec.get("maximum"),
            exclusive_minimum=spec.get("exclusiveMinimum"),
        )
        thresholds.setdefault(check, []).append(field)
    docs = _member_docs(QCCheck)
    default_on = {str(c) for c in QCConfig().checks}
    return tuple(
        QCCheckField(
            value=check.value,
            label=QC_CHECK_LABELS.get(check, _field_label(check.value)),
            help=docs.get(check.name, ""),
            default_on=check.value in default_on,
            thresholds=tuple(thresholds.get(check.value, ())),
        )
        for check in QCCheck
    )
