"""The leaderboard: WAL, one transaction per write, concurrent writers, crash safety, ranking."""

import multiprocessing
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from arena.amm.arena_ruleset import ArenaConfig
from arena.competition import Competition
from arena.errors import ArenaError, ConfigError
from arena.leaderboard import SCHEMA_VERSION, Leaderboard, secret_path
from arena.receipts import Receipt, canonical_json, competition_section

ROOT = bytes(range(1, 33))


def fake_receipt(
    competition_id: str, author: str, name: str, mean_edge: float, sharpe: float | None = 0.5
) -> Receipt:
    """A receipt with what the leaderboard reads (scoring is tested in test_receipts)."""
    data = {
        "author": author,
        "strategy": {"name": name, "model_used": "None", "sha256": "ab" * 32},
        "competition": {"id": competition_id},
        "metrics": {
            "mean_edge": mean_edge,
            "ci_low": mean_edge - 1,
            "ci_high": mean_edge + 1,
            "sharpe": sharpe,
            "vs_baseline": 0.25,
            "simulations": 4,
            "errors": 0,
        },
    }
    return Receipt(Path("."), canonical_json(data), data)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    competition = Competition.create(
        title="Cup",
        market="amm",
        ruleset="arena",
        config=ArenaConfig(steps=100),
        simulations=4,
        field=["cp20"],
        root=ROOT,
    )
    path = tmp_path / "board" / "leaderboard.db"
    Leaderboard.create(path, competition, ROOT).close()
    return path


def board_id(db: Path) -> str:
    with Leaderboard.open(db) as board:
        return str(competition_section(board.competition())["id"])


def rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT receipt_id, author, name FROM submissions ORDER BY id"
        ).fetchall()


def test_create_makes_a_wal_database_and_a_private_secret(db: Path) -> None:
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    secret = secret_path(db)
    assert secret.name == "leaderboard.secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert secret.read_text().strip() == ROOT.hex()
    with Leaderboard.open(db) as board:
        assert board.secret_root() == ROOT
        assert board.revealed_root() is None
        assert [f.name for f in board.competition().field] == ["CP 20 bps"]
        competition = board.competition()
    assert ROOT.hex() not in db.read_bytes().decode(errors="replace")
    with pytest.raises(ConfigError, match="exists already"):
        Leaderboard.create(db, competition, ROOT)


def test_open_refuses_what_is_not_a_leaderboard(db: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no leaderboard at .*arena leaderboard init"):
        Leaderboard.open(tmp_path / "missing.db")
    (tmp_path / "text.db").write_text("hello " * 200)
    with pytest.raises(ConfigError, match="not an arena leaderboard"):
        Leaderboard.open(tmp_path / "text.db")
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA user_version = 99")
    with pytest.raises(ConfigError, match="schema 99"):
        Leaderboard.open(db)


def test_the_latest_submission_of_each_author_and_name_counts(db: Path) -> None:
    competition = board_id(db)
    with Leaderboard.open(db) as board:
        board.record(fake_receipt(competition, "alice", "Fees", 5.0, 0.9))
        board.record(fake_receipt(competition, "bob", "Wide", 3.0, 2.0))
        board.record(fake_receipt(competition, "alice", "Fees", 1.0, 0.1))  # replaces 5.0
        board.record(fake_receipt(competition, "carol", "Fees", 2.0, None))  # another author
        by_edge = board.ranking("edge")
        by_sharpe = board.ranking("sharpe")
        every = board.ranking("edge", every=True)
    assert [(e.rank, e.author, e.mean_edge) for e in by_edge] == [
        (1, "bob", 3.0),
        (2, "carol", 2.0),
        (3, "alice", 1.0),
    ]
    assert [e.author for e in by_sharpe] == ["bob", "alice", "carol"]  # no Sharpe ranks last
    assert [e.mean_edge for e in every] == [5.0, 3.0, 2.0, 1.0]
    with Leaderboard.open(db) as board, pytest.raises(ConfigError, match="rank by one of"):
        board.ranking("luck")


def test_records_from_other_competitions_or_after_the_reveal_are_refused(db: Path) -> None:
    competition = board_id(db)
    with Leaderboard.open(db) as board:
        with pytest.raises(ConfigError, match="another competition"):
            board.record(fake_receipt("0" * 64, "alice", "Fees", 1.0))
        assert board.scoring_root() == ROOT
        assert board.reveal() == ROOT
        assert board.revealed_root() == ROOT
        with pytest.raises(ConfigError, match="revealed"):
            board.scoring_root()
        with pytest.raises(ConfigError, match="revealed"):
            board.record(fake_receipt(competition, "alice", "Fees", 1.0))
    assert rows(db) == []


def test_a_secret_file_that_does_not_open_the_commitment_is_refused(db: Path) -> None:
    secret_path(db).write_text("00" * 32 + "\n")
    with (
        Leaderboard.open(db) as board,
        pytest.raises(ConfigError, match="does not hold the seed root"),
    ):
        board.secret_root()
    secret_path(db).unlink()
    with Leaderboard.open(db) as board, pytest.raises(ConfigError, match="not on this machine"):
        board.scoring_root()


def record_many(db: str, author: str, count: int, barrier) -> None:
    """Child process: wait for the other writer, then record ``count`` submissions."""
    competition = board_id(Path(db))
    barrier.wait()
    with Leaderboard.open(Path(db)) as board:
        for i in range(count):
            board.record(fake_receipt(competition, author, f"strategy {i}", float(i)))


def test_concurrent_writers_all_land(db: Path) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    writers = [
        context.Process(target=record_many, args=(str(db), author, 30, barrier))
        for author in ("alice", "bob")
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
        assert writer.exitcode == 0
    recorded = rows(db)
    assert len(recorded) == 60
    assert sorted({(a, n) for _, a, n in recorded}) == sorted(
        (a, f"strategy {i}") for a in ("alice", "bob") for i in range(30)
    )
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# The child pauses inside record()'s transaction: after the INSERT, as COMMIT starts.
PAUSE_IN_TRANSACTION = textwrap.dedent("""
    import sys
    from pathlib import Path
    from arena.leaderboard import Leaderboard
    from arena.receipts import Receipt, canonical_json

    board = Leaderboard.open(Path(sys.argv[1]))
    data = {"author": "mallory", "strategy": {"name": "Half", "model_used": "None",
            "sha256": "0" * 64}, "competition": {"id": sys.argv[2]},
            "metrics": {"mean_edge": 9.0, "simulations": 4, "errors": 0}}

    def pause(statement):
        if statement.startswith(("INSERT INTO submissions", "COMMIT")):
            print(statement.split()[0], flush=True)
        if statement.startswith("COMMIT"):
            sys.stdin.readline()  # wait here until killed

    board.connection.set_trace_callback(pause)
    board.record(Receipt(Path("."), canonical_json(data), data))
    print("committed", flush=True)
""")


def test_a_writer_killed_inside_its_transaction_leaves_the_board_unchanged(db: Path) -> None:
    competition = board_id(db)
    with Leaderboard.open(db) as board:
        board.record(fake_receipt(competition, "alice", "Fees", 1.0))
    before = rows(db)
    with subprocess.Popen(
        [sys.executable, "-c", PAUSE_IN_TRANSACTION, str(db), competition],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "INSERT"
        assert child.stdout.readline().strip() == "COMMIT"
        child.kill()  # SIGKILL: no cleanup, no rollback by the process itself
        child.wait(timeout=30)
    assert child.returncode == -9
    assert rows(db) == before
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Leaderboard.open(db) as board:  # the write lock died with the process
        board.record(fake_receipt(competition, "bob", "Wide", 2.0))
        assert [e.author for e in board.ranking()] == ["bob", "alice"]


def test_sqlite_errors_are_plain_messages(db: Path) -> None:
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Leaderboard.open(db) as board:
            board.connection.execute("PRAGMA busy_timeout = 50")
            with pytest.raises(ArenaError, match="stayed locked"):
                board.record(fake_receipt(board_id(db), "alice", "Fees", 1.0))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert os.path.exists(db)
