"""The quality-check part of the configuration form, read from :class:`QCConfig`.

The Configurations page renders one checkbox per :class:`QCCheck` (its help text is the
check's docstring) and, under each check, the number fields of the thresholds that tune it
(range, default and help text from the model's JSON schema), then the optional vision check
(:class:`VisionQC`: a switch and its fields, again from the JSON schema). Nothing is written
twice, so the form follows the model when a check or a threshold changes.
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from genfactory.qc.config import QCCheck, QCConfig, VisionQC

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


@dataclass(frozen=True)
class VisionTextField:
    """A text field of :class:`VisionQC` (``model``, ``instructions``)."""

    name: str
    label: str
    help: str
    default: str
    max_length: int


@dataclass(frozen=True)
class VisionChoiceField:
    """A choice of :class:`VisionQC` (``detail``): ``(value, label)`` options."""

    name: str
    label: str
    help: str
    default: str
    options: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class VisionFormFields:
    """The vision check's part of the form: the switch's help and each field."""

    enabled_help: str
    model: VisionTextField
    instructions: VisionTextField
    detail: VisionChoiceField
    numbers: tuple[QCThresholdField, ...]


@dataclass(frozen=True)
class QCFormFields:
    """The quality-check part of the form. Iterating gives the built-in checks (so
    templates loop over it directly); :attr:`vision` is the optional vision check."""

    checks: tuple[QCCheckField, ...]
    vision: VisionFormFields

    def __iter__(self) -> Iterator[QCCheckField]:
        return iter(self.checks)

    def __len__(self) -> int:
        return len(self.checks)


#: How the ``detail`` choices read on the page.
VISION_DETAIL_LABELS = {
    "low": "Low (512 px)",
    "high": "High (1024 px)",
    "auto": "Auto (1024 px)",
}
#: Labels of the vision fields that read badly when made from the field name.
VISION_LABELS = {"min_score": "Minimum score", "timeout": "Timeout (seconds)"}


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


def _plain(description: Any) -> str:
    """A schema description as help text: one line, `code` marks dropped."""
    return re.sub(r"`([^`]+)`", r"\1", " ".join(str(description or "").split()))


def _number_field(name: str, spec: dict[str, Any], label: str, help_text: str) -> QCThresholdField:
    return QCThresholdField(
        name=name,
        label=label,
        help=help_text,
        range_text=_range_text(spec),
        integer=spec.get("type") == "integer",
        default=spec["default"],
        minimum=spec.get("minimum"),
        maximum=spec.get("maximum"),
        exclusive_minimum=spec.get("exclusiveMinimum"),
    )


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
def qc_form_fields() -> QCFormFields:
    """The quality-check part of the configuration form, read from :class:`QCConfig`:
    a checkbox per check and, under it, the thresholds whose description starts with
    "<Check> check:"; the descriptions become the help texts. Then the vision check."""
    return QCFormFields(checks=_check_fields(), vision=vision_form_fields())


def vision_form_fields() -> VisionFormFields:
    """The vision check's fields, from :class:`VisionQC`'s JSON schema."""
    properties = VisionQC.model_json_schema()["properties"]

    def label(name: str) -> str:
        return VISION_LABELS.get(name, _field_label(name))

    def text(name: str) -> VisionTextField:
        spec = properties[name]
        return VisionTextField(
            name, label(name), _plain(spec["description"]), spec["default"], spec["maxLength"]
        )

    detail = properties["detail"]
    return VisionFormFields(
        enabled_help=_plain(properties["enabled"]["description"]),
        model=text("model"),
        instructions=text("instructions"),
        detail=VisionChoiceField(
            "detail",
            label("detail"),
            _plain(detail["description"]),
            detail["default"],
            tuple((v, VISION_DETAIL_LABELS.get(v, v)) for v in detail["enum"]),
        ),
        numbers=tuple(
            _number_field(
                name, properties[name], label(name), _plain(properties[name]["description"])
            )
            for name in ("min_score", "timeout")
        ),
    )


def _check_fields() -> tuple[QCCheckField, ...]:
    properties = QCConfig.model_json_schema()["properties"]
    labels = {name: _field_label(name) for name in properties}
    thresholds: dict[str, list[QCThresholdField]] = {check.value: [] for check in QCCheck}
    for name, spec in properties.items():
        if name in ("checks", "vision"):
            continue
        description = " ".join(str(spec.get("description", "")).split())
        match = re.match(r"(\w+) check: (.*)", description)
        check, text = (match.group(1).lower(), match.group(2)) if match else ("", description)
        text = re.sub(r"`(\w+)`", lambda m: f"“{labels.get(m.group(1), m.group(1))}”", text)
        text = text[:1].upper() + text[1:]
        field = _number_field(name, spec, labels[name], text)
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
