"""``print`` in strategy code: captured per simulation, capped, never written anywhere.

RestrictedPython turns ``print(...)`` into a call on a collector made by ``_print_`` at the top
of each function that prints, and ``printed`` into that collector's text. Each strategy instance
gets one :class:`PrintSink`; its collectors append to it until :data:`PRINT_LIMIT` characters,
and count what they drop. ``arena validate`` shows what a strategy printed.
"""

from __future__ import annotations

from typing import Any, Final

from arena.sandbox.budget import METER

__all__ = ["PRINT_LIMIT", "PrintCollector", "PrintSink"]

#: Characters of printed output kept per strategy instance (one simulation).
PRINT_LIMIT: Final = 10_000


class PrintSink:
    """All that one strategy instance printed, up to :data:`PRINT_LIMIT` characters."""

    def __init__(self, limit: int = PRINT_LIMIT) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0

    def add(self, text: str) -> None:
        """Keep ``text`` as far as the cap allows."""
        room = self.limit - self.size
        if room <= 0:
            self.dropped += len(text)
            return
        kept = text[:room]
        self.parts.append(kept)
        self.size += len(kept)
        self.dropped += len(text) - len(kept)

    @property
    def text(self) -> str:
        """What was kept, with a note of what was dropped."""
        note = f"\n… {self.dropped:,} more characters not kept" if self.dropped else ""
        return "".join(self.parts) + note

    def collector(self, getattr_: Any = None) -> PrintCollector:
        """A collector for one function call (this bound method is ``_print_``)."""
        return PrintCollector(self)


class PrintCollector:
    """What ``print`` and ``printed`` use inside one call of a strategy function."""

    __slots__ = ("parts", "sink")

    def __init__(self, sink: PrintSink) -> None:
        self.sink = sink
        self.parts: list[str] = []

    def _call_print(
        self, *objects: Any, sep: Any = " ", end: Any = "\n", flush: Any = False, **rest: Any
    ) -> None:
        if rest:
            raise TypeError(f"print() takes no {', '.join(rest)} argument in strategies")
        METER.charge(1)
        text = str(sep).join(str(o) for o in objects) + str(end)
        if len(self.parts) < 1000:  # `printed` within one call: bounded as well
            self.parts.append(text[: self.sink.limit])
        self.sink.add(text)

    def __call__(self) -> str:
        return "".join(self.parts)
