"""Errors arena reports to people, in one plain sentence each (never a traceback)."""

from __future__ import annotations

__all__ = ["ArenaError", "ConfigError", "StrategyLoadError"]


class ArenaError(Exception):
    """Base class of the errors the command line shows as a message instead of a traceback."""


class ConfigError(ArenaError):
    """An option or configuration value is not usable."""


class StrategyLoadError(ArenaError):
    """A strategy file cannot be loaded: syntax, forbidden constructs, metadata or hooks.

    :param message: what is wrong, in plain words.
    :param filename: the strategy file (or name) it concerns.
    :param lineno: the line, when one line is to blame.
    """

    def __init__(self, message: str, filename: str, lineno: int | None = None) -> None:
        self.message = message
        self.filename = filename
        self.lineno = lineno
        where = f"{filename}:{lineno}" if lineno else filename
        super().__init__(f"{where}: {message}")
