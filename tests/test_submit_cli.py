"""Competition commands end to end: init, submit, leaderboard, verify, reveal; mistakes; crashes."""

import json
import multiprocessing
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from arena.cli import main

MINE = 'NAME = "My fees"\nMODEL_USED = "None"\nFEE_BPS = 35\n'
WIDE = 'NAME = "Wide"\nMODEL_USED = "gpt-x"\nFEE_BPS = 80\n'
INIT = ["-n", "4", "--steps", "200", "--epoch-len", "50", "--field", "cp20", "--field", "cp50"]


def arena(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def submit_args(file: Path, author: str, db: Path) -> list[str]:
    return [
        "submit",
        str(file),
        "--author",
        author,
        "--db",
        str(db),
        "--executor",
        "sequential",
        "-q",
    ]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "comp" / "leaderboard.db"
    outcome = arena("leaderboard", "init", "--db", str(path), "--title", "Cup", *INIT)
    assert outcome.exit_code == 0, outcome.output
    assert "Seed commitment" in outcome.output and "keep it private" in outcome.output
    (tmp_path / "mine.py").write_text(MINE)
    (tmp_path / "wide.py").write_text(WIDE)
    return path


def entries(db: Path) -> list[dict]:
    outcome = arena("leaderboard", "--db", str(db), "--json")
    assert outcome.exit_code == 0, outcome.output
    return json.loads(outcome.output)["entries"]


def test_the_owner_and_submitter_workflow(db: Path, tmp_path: Path) -> None:
    first = arena(*submit_args(tmp_path / "mine.py", "alice", db))
    assert first.exit_code == 0, first.output
    assert "My fees by alice" in first.output and "#1 of 1" in first.output
    arena(*submit_args(tmp_path / "wide.py", "bob", db))
    ranked = entries(db)
    assert {(e["author"], e["name"], e["model_used"]) for e in ranked} == {
        ("alice", "My fees", "None"),
        ("bob", "Wide", "gpt-x"),
    }
    assert [e["rank"] for e in ranked] == [1, 2] and ranked[0]["mean_edge"] >= ranked[1][
        "mean_edge"
    ]
    assert all(e["simulations"] == 4 for e in ranked)
    folder = db.parent / ranked[0]["folder"]
    assert (folder / "receipt.json").is_file() and (folder / "strategy.py").is_file()

    table = arena("leaderboard", "--db", str(db), "--by", "sharpe")
    assert "alice" in table.output and "latest submission" in table.output
    csv_lines = arena("leaderboard", "--db", str(db), "--csv").output.splitlines()
    assert csv_lines[0].startswith("rank,author,name,model_used,mean_edge") and len(csv_lines) == 3

    # Before the reveal, the owner verifies with the secret beside the database.
    owner = arena("verify", str(folder), "--db", str(db), "-q", "--executor", "sequential")
    assert owner.exit_code == 0, owner.output
    assert "recorded on the leaderboard" in owner.output and "verified" in owner.output

    revealed = arena("leaderboard", "reveal", "--db", str(db), "--yes")
    root = revealed.output.split("Seed root: ")[1].split()[0]
    assert len(root) == 64
    closed = arena(*submit_args(tmp_path / "mine.py", "carol", db))
    assert closed.exit_code == 2 and "revealed" in closed.output

    # Anyone: the folder and the published ranking (or just the root) are enough.
    ranking = tmp_path / "ranking.json"
    ranking.write_text(arena("leaderboard", "--db", str(db), "--json").output)
    published = arena(
        "verify",
        str(folder),
        "--ranking",
        str(ranking),
        "--executor",
        "sequential",
        "-q",
        "-k",
        "1",
    )
    assert published.exit_code == 0, published.output
    assert "recorded on the leaderboard" in published.output
    public = arena(
        "verify",
        str(folder / "receipt.json"),
        "--seed-root",
        root,
        "--executor",
        "sequential",
        "-q",
        "--simulations",
        "2",
    )
    assert public.exit_code == 0, public.output
    assert "2 of 4" in public.output
    assert json.loads(arena("leaderboard", "--db", str(db), "--json").output)["seed_root"] == root


def test_verify_reports_an_edited_receipt(db: Path, tmp_path: Path) -> None:
    arena(*submit_args(tmp_path / "mine.py", "alice", db))
    folder = db.parent / entries(db)[0]["folder"]
    receipt = folder / "receipt.json"
    receipt.write_text(receipt.read_text().replace('"author":"alice"', '"author":"mallory"'))
    outcome = arena("verify", str(folder), "--db", str(db), "-q", "--executor", "sequential")
    assert outcome.exit_code == 1
    assert "no submission on the leaderboard has receipt id" in outcome.output
    assert "NOT verified" in outcome.output


MISTAKES = [
    (["submit", "{tmp}/mine.py", "--db", "{db}"], "Missing option '--author'"),
    (["submit", "{tmp}/mine.py", "--author", "a", "--db", "{tmp}/none.db"], "no leaderboard at"),
    (
        ["submit", "{tmp}/broken.py", "--author", "a", "--db", "{db}", "--executor", "sequential"],
        "failed validation",
    ),
    (
        ["submit", "{tmp}/clash.py", "--author", "a", "--db", "{db}", "--executor", "sequential"],
        "is taken by a strategy of the competition's field",
    ),
    (
        ["submit", "{tmp}/mine.py", "--author", "   ", "--db", "{db}", "--executor", "sequential"],
        "--author must be a printable name",
    ),
    (["leaderboard", "--db", "{db}", "--json", "--csv"], "choose one of --json and --csv"),
    (["leaderboard", "--db", "{db}", "--by", "luck"], "Invalid value for '--by'"),
    (["leaderboard", "init", "--db", "{db}"], "exists already"),
    (
        ["leaderboard", "init", "--db", "{tmp}/p.db", "--ruleset", "prop-amm", "--field", "cp20"],
        "takes no field",
    ),
    (["leaderboard", "init", "--db", "{tmp}/q.db", "--no-field", "--field", "cp20"], "not both"),
    (["leaderboard", "init", "--db", "{tmp}/r.db", "--steps", "0"], "at least 1"),
    (["leaderboard", "reveal", "--db", "{tmp}/none.db", "--yes"], "no leaderboard at"),
    (["verify", "{tmp}/nowhere"], "no receipt at"),
    (["verify", "{tmp}/nowhere", "--seed-root", "xyz"], "64 hexadecimal digits"),
    (["verify", "{tmp}/nowhere", "--ranking", "{tmp}/mine.py"], "is not the output of"),
]


@pytest.mark.parametrize(("argv", "message"), MISTAKES)
def test_mistakes_get_one_plain_sentence(
    db: Path, tmp_path: Path, argv: list[str], message: str
) -> None:
    (tmp_path / "broken.py").write_text('NAME = "x"\nMODEL_USED = "None"\ndef compute_swap(:\n')
    (tmp_path / "clash.py").write_text('NAME = "CP 20 bps"\nMODEL_USED = "None"\nFEE_BPS = 21\n')
    outcome = arena(*(a.format(tmp=tmp_path, db=db) for a in argv))
    assert outcome.exit_code == 2, outcome.output
    assert message in " ".join(outcome.output.split())
    assert "Traceback" not in outcome.output
    assert isinstance(outcome.exception, SystemExit)


def test_help_teaches_with_examples() -> None:
    for command in (
        ["submit"],
        ["verify"],
        ["report"],
        ["leaderboard"],
        ["leaderboard", "init"],
        ["leaderboard", "reveal"],
    ):
        outcome = arena(*command, "--help")
        assert outcome.exit_code == 0 and "Example" in outcome.output, command


def submit_after_barrier(argv: list[str], barrier) -> None:
    """Child process: start submitting when the other one does."""
    barrier.wait()
    try:
        main(argv, standalone_mode=False)
    except SystemExit as stop:
        raise SystemExit(stop.code or 0) from None


def test_two_processes_submitting_at_once_both_land(db: Path, tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    submitters = [
        context.Process(
            target=submit_after_barrier, args=(submit_args(tmp_path / file, author, db), barrier)
        )
        for file, author in (("mine.py", "alice"), ("wide.py", "bob"))
    ]
    for process in submitters:
        process.start()
    for process in submitters:
        process.join(timeout=240)
        assert process.exitcode == 0
    assert sorted(e["author"] for e in entries(db)) == ["alice", "bob"]


# `arena submit` in a child that stops inside the leaderboard's write transaction.
SUBMIT_AND_PAUSE = textwrap.dedent("""
    import sys
    from arena import leaderboard
    from arena.cli import main

    opened = leaderboard.Leaderboard.open

    def pause(statement):
        if statement.startswith("COMMIT") and "submissions" in pause.seen:
            print("paused", flush=True)
            sys.stdin.readline()  # wait here until killed
        pause.seen += statement

    pause.seen = ""

    def open_and_trace(path):
        board = opened(path)
        board.connection.set_trace_callback(pause)
        return board

    leaderboard.Leaderboard.open = open_and_trace
    main(sys.argv[1:])
""")


def test_a_submission_killed_mid_write_leaves_the_leaderboard_unchanged(
    db: Path, tmp_path: Path
) -> None:
    arena(*submit_args(tmp_path / "wide.py", "bob", db))
    before = entries(db)
    with subprocess.Popen(
        [sys.executable, "-c", SUBMIT_AND_PAUSE, *submit_args(tmp_path / "mine.py", "alice", db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "paused"
        child.kill()
        child.wait(timeout=60)
    assert child.returncode == -9
    assert entries(db) == before
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # Its folder was written first; it is not on the leaderboard, and verify says so.
    orphan = next(p for p in (db.parent / "submissions").iterdir() if p.name.startswith("alice-"))
    outcome = arena("verify", str(orphan), "--db", str(db), "-q", "--executor", "sequential")
    assert outcome.exit_code == 1 and "no submission on the leaderboard" in outcome.output
    again = arena(*submit_args(tmp_path / "mine.py", "alice", db))
    assert again.exit_code == 0, again.output
    assert sorted(e["author"] for e in entries(db)) == ["alice", "bob"]
