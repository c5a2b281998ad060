"""What validation found: findings, reports, fixes for common problems, and plain text."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from arena.errors import ArenaError

Status = Literal["pass", "fail", "warn", "info"]


@dataclass(frozen=True)
class Finding:
    """The outcome of one check.

    :param check: which check (``load``, ``monotonic``, ``cost`` …).
    :param status: ``pass``, ``fail``, ``warn`` (valid, but worth a look) or ``info``.
    :param message: what was found, in plain words.
    :param hint: how to fix it.
    :param line: the line of the strategy file to look at.
    """

    check: str
    status: Status
    message: str
    hint: str | None = None
    line: int | None = None


@dataclass
class Report:
    """Everything ``arena validate`` found about one file."""

    origin: str
    name: str | None = None
    model_used: str | None = None
    sha256: str | None = None
    findings: list[Finding] = field(default_factory=list)
    printed: str = ""

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return all(f.status != "fail" for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data (what ``--json`` prints)."""
        return dataclasses.asdict(self) | {"ok": self.ok}


class ValidationFailed(ArenaError):
    """Strategies did not pass validation (``arena run`` and ``arena submit`` stop).

    :param reports: the reports of the files that failed.
    """

    def __init__(self, reports: Sequence[Report]) -> None:
        self.reports = list(reports)
        lines = [
            f"{r.origin}: {f.check}: {f.message}"
            for r in self.reports
            for f in r.findings
            if f.status == "fail"
        ]
        super().__init__(
            "strategies failed validation:\n  "
            + "\n  ".join(lines)
            + "\n(`arena validate FILE` explains each problem; --no-validate runs anyway)"
        )


def _module_hint(message: str) -> str:
    if "work units" in message:
        return "the module body runs once per simulation: keep it to constants and small tables"
    if "holds a value of type" in message:
        return "keep state that changes in storage; module globals are for constants"
    return "the module body runs once per simulation: fix the error at the line named"


def _load_hint(message: str) -> str | None:
    if "NAME" in message or "MODEL_USED" in message:
        return 'put NAME = "..." and MODEL_USED = "None" (or the model that wrote it) at the top'
    if "misspelled" in message or "arguments" in message:
        return (
            "hooks are compute_swap(side, input_amount, reserve_x, reserve_y, storage), "
            "after_swap(payload, storage) and epoch_boundary(payload, storage)"
        )
    return None


_MARKS: Final = {"pass": "✓", "fail": "✗", "warn": "!", "info": "·"}


def render(report: Report) -> str:
    """The report as plain text: one line per check, a fix under each failure."""
    title = f"{report.origin}" + (
        f' — "{report.name}" (model: {report.model_used})' if report.name else ""
    )
    lines = [title]
    for finding in report.findings:
        where = f" (line {finding.line})" if finding.line else ""
        lines.append(f"  {_MARKS[finding.status]} {finding.check}: {finding.message}{where}")
        if finding.hint and finding.status in ("fail", "warn"):
            lines.append(f"      fix: {finding.hint}")
    if report.printed:
        lines.append("  printed:")
        lines += [f"    | {line}" for line in report.printed.splitlines()[:10]]
    failures = sum(f.status == "fail" for f in report.findings)
    lines.append(
        "  => valid"
        if report.ok
        else f"  => INVALID ({failures} problem{'s' if failures > 1 else ''})"
    )
    return "\n".join(lines)
