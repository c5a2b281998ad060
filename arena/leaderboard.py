"""The leaderboard: one competition and its submissions in a SQLite database.

The database holds the competition's definition (with the field's sources) and one row per
submission, with the receipt it was given. The secret seed root is *not* in it until the
owner reveals it: it lives in a file beside the database (``<name>.secret``, mode 0600), so
the database can be published at any time.

Writes are single ``BEGIN IMMEDIATE`` transactions in WAL mode with a busy timeout:
concurrent submissions queue for the write lock and all land, readers never block, and a
process killed mid-write leaves no partial row (SQLite rolls the transaction back). The
schema version is the database's ``user_version``.

Ranking rule: the **latest** submission of each (author, NAME) counts, so an author's entry
is what they submitted last, not the luckiest of many tries on the same secret seeds.
Entries are ranked by mean edge or Sharpe, higher first; ties go to the earlier submission.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from arena.competition import Competition, parse_root
from arena.errors import ArenaError, ConfigError
from arena.receipts import Receipt, canonical_json, competition_section

__all__ = ["RANKINGS", "SCHEMA_VERSION", "Entry", "Leaderboard", "secret_path"]

SCHEMA_VERSION: Final = 1
BUSY_TIMEOUT_SECONDS: Final = 60.0
#: What ``--by`` takes, and the metric it ranks on.
RANKINGS: Final = {"edge": "mean_edge", "sharpe": "sharpe"}

_SCHEMA: Final = (
    """CREATE TABLE competition (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        id TEXT NOT NULL,
        definition TEXT NOT NULL,
        created_at TEXT NOT NULL,
        seed_root TEXT,
        revealed_at TEXT
    )""",
    """CREATE TABLE submissions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        receipt_id TEXT NOT NULL,
        author TEXT NOT NULL,
        name TEXT NOT NULL,
        model_used TEXT NOT NULL,
        source_sha256 TEXT NOT NULL,
        mean_edge REAL, ci_low REAL, ci_high REAL, std REAL, sharpe REAL,
        vs_baseline REAL, vs_ci_low REAL, vs_ci_high REAL, capital_share REAL,
        simulations INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        folder TEXT NOT NULL,
        submitted_at TEXT NOT NULL,
        receipt TEXT NOT NULL
    )""",
    "CREATE INDEX submissions_by_entry ON submissions (author, name, id)",
    "CREATE INDEX submissions_by_receipt ON submissions (receipt_id)",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)
_CLOSED: Final = "this competition's seeds are revealed: it takes no more submissions"
_METRICS: Final = (
    "mean_edge",
    "ci_low",
    "ci_high",
    "std",
    "sharpe",
    "vs_baseline",
    "vs_ci_low",
    "vs_ci_high",
    "capital_share",
    "simulations",
    "errors",
)


def secret_path(database: Path) -> Path:
    """Where the owner's secret seed root is kept: beside the database, ``<name>.secret``."""
    return database.with_suffix(".secret")


@dataclass(frozen=True)
class Entry:
    """One ranked row of the leaderboard."""

    rank: int
    author: str
    name: str
    model_used: str
    mean_edge: float | None
    ci_low: float | None
    ci_high: float | None
    std: float | None
    sharpe: float | None
    vs_baseline: float | None
    vs_ci_low: float | None
    vs_ci_high: float | None
    capital_share: float | None
    simulations: int
    errors: int
    submitted_at: str
    receipt_id: str
    folder: str


class Leaderboard:
    """An open leaderboard database; use :meth:`create` or :meth:`open`, then :meth:`close`."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self.connection = connection  # public for tools (and tests that pause a write)

    @classmethod
    def create(cls, path: Path, competition: Competition, root: bytes) -> Leaderboard:
        """Create the database of ``competition`` and the secret file holding ``root``.

        :raises ConfigError: if either file exists already.
        """
        secret = secret_path(path)
        if path.exists():
            raise ConfigError(f"{path} exists already: choose another --db")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # O_EXCL: of two owners creating at once, one wins
            descriptor = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise ConfigError(f"{secret} exists already: choose another --db") from None
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(root.hex() + "\n")
            board = cls(path, _connect(path))
            board.connection.execute("PRAGMA journal_mode = WAL")
            sources = {f.file: f.source for f in competition.field}
            definition = canonical_json({"public": competition.public(), "sources": sources})
            with board._transaction() as db:
                for statement in _SCHEMA:
                    db.execute(statement)
                db.execute(
                    "INSERT INTO competition (singleton, id, definition, created_at) "
                    "VALUES (1, ?, ?, ?)",
                    (competition_section(competition)["id"], definition.decode(), _now()),
                )
        except BaseException:
            for suffix in ("", "-wal", "-shm"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)
            secret.unlink(missing_ok=True)
            raise
        return board

    @classmethod
    def open(cls, path: Path) -> Leaderboard:
        """Open an existing leaderboard.

        :raises ConfigError: if there is none at ``path`` or it is not one arena can read.
        """
        if not path.is_file():
            raise ConfigError(
                f"no leaderboard at {path}: create one with `arena leaderboard init --db {path}`"
            )
        connection = _connect(path)
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError:
            connection.close()
            raise ConfigError(f"{path} is not an arena leaderboard") from None
        if version != SCHEMA_VERSION:
            connection.close()
            raise ConfigError(
                f"{path} is not an arena leaderboard"
                if version == 0
                else f"{path} has leaderboard schema {version}; "
                f"this arena reads schema {SCHEMA_VERSION}"
            )
        return cls(path, connection)

    def close(self) -> None:
        """Close the database."""
        self.connection.close()

    def __enter__(self) -> Leaderboard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taking the write lock up front (``BEGIN IMMEDIATE``)."""
        db = self.connection
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise ArenaError(f"{self.path} stayed locked ({error}); try again") from None
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _row(self) -> sqlite3.Row:
        row: sqlite3.Row = self.connection.execute("SELECT * FROM competition").fetchone()
        return row

    def competition(self) -> Competition:
        """The competition this leaderboard ranks."""
        definition = json.loads(self._row()["definition"])
        return Competition.from_public(definition["public"], definition["sources"])

    def revealed_root(self) -> bytes | None:
        """The seed root, once the owner has revealed it."""
        text = self._row()["seed_root"]
        return None if text is None else parse_root(text)

    def secret_root(self) -> bytes:
        """The owner's secret seed root, from the file beside the database.

        :raises ConfigError: if the file is not here (submissions are scored where it is).
        """
        secret = secret_path(self.path)
        try:
            root = parse_root(secret.read_text())
        except FileNotFoundError:
            raise ConfigError(
                f"the secret seed root of this leaderboard ({secret}) is not on this machine: "
                "submissions are scored where it is"
            ) from None
        if not self.competition().opens(root):
            raise ConfigError(f"{secret} does not hold the seed root this leaderboard committed to")
        return root

    def scoring_root(self) -> bytes:
        """The root to score a new submission with.

        :raises ConfigError: once the seeds are revealed (the competition is closed).
        """
        if self.revealed_root() is not None:
            raise ConfigError(_CLOSED)
        return self.secret_root()

    def reveal(self) -> bytes:
        """Publish the seed root in the database (closing the competition) and return it."""
        root = self.secret_root()
        with self._transaction() as db:
            db.execute(
                "UPDATE competition SET seed_root = ?, revealed_at = ? WHERE seed_root IS NULL",
                (root.hex(), _now()),
            )
        return root

    def record(self, receipt: Receipt, submitted_at: datetime | None = None) -> int:
        """Add a scored submission; returns its row number.

        :raises ConfigError: if the receipt is from another competition or the seeds have
            been revealed meanwhile.
        """
        data = receipt.data
        metrics = data["metrics"]
        folder = os.path.relpath(receipt.folder.resolve(), self.path.resolve().parent)
        values: dict[str, Any] = {
            "receipt_id": receipt.id,
            "author": data["author"],
            "name": data["strategy"]["name"],
            "model_used": data["strategy"]["model_used"],
            "source_sha256": data["strategy"]["sha256"],
            **{key: metrics.get(key) for key in _METRICS},
            "folder": folder,
            "submitted_at": (submitted_at or datetime.now(UTC)).isoformat(timespec="seconds"),
            "receipt": receipt.content.decode(),
        }
        with self._transaction() as db:
            row = self._row()
            if data["competition"]["id"] != row["id"]:
                raise ConfigError("this receipt is from another competition")
            if row["seed_root"] is not None:
                raise ConfigError(_CLOSED)
            columns = ", ".join(values)
            cursor = db.execute(
                f"INSERT INTO submissions ({columns}) VALUES ({', '.join('?' * len(values))})",
                tuple(values.values()),
            )
        return int(cursor.lastrowid or 0)

    def receipt_ids(self) -> set[str]:
        """The receipt ids of every submission."""
        return {r[0] for r in self.connection.execute("SELECT receipt_id FROM submissions")}

    def ranking(self, by: str = "edge", every: bool = False) -> list[Entry]:
        """The ranked entries: the latest submission of each (author, NAME), or ``every`` one.

        :raises ConfigError: for an unknown ``by`` (see :data:`RANKINGS`).
        """
        if by not in RANKINGS:
            raise ConfigError(f"rank by one of: {', '.join(RANKINGS)}")
        query = "SELECT * FROM submissions"
        if not every:
            query += " WHERE id IN (SELECT MAX(id) FROM submissions GROUP BY author, name)"
        rows = self.connection.execute(query).fetchall()
        metric = RANKINGS[by]

        def order(row: sqlite3.Row) -> tuple[bool, float, int]:
            value = row[metric]
            missing = value is None or math.isnan(value)
            return missing, 0.0 if missing else -value, row["id"]

        fields = Entry.__dataclass_fields__
        return [
            Entry(rank=rank, **{k: row[k] for k in fields if k != "rank"})
            for rank, row in enumerate(sorted(rows, key=order), start=1)
        ]


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    connection.row_factory = sqlite3.Row
    connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    return connection


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
