"""Receipts are byte-stable and hide the seeds; verify finds every edit and names it."""

import hashlib
import json
import math
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from arena.amm.arena_ruleset import ArenaConfig
from arena.competition import SEED_DERIVATION, Competition, commitment, derive_seeds, parse_root
from arena.errors import ArenaError, ConfigError
from arena.executors import LocalExecutor, SequentialExecutor
from arena.receipts import (
    Receipt,
    canonical_json,
    digest,
    issue,
    metrics,
    read_receipt,
    read_table,
    sha256_hex,
    table_bytes,
)
from arena.runner import RunPlan, RunResult, run
from arena.verification import Verification, verify

ROOT = bytes(range(32))
SOURCE = 'NAME = "My fees"\nMODEL_USED = "None"\nFEE_BPS = 35\n'
SIMULATIONS = 6


def make_competition(root: bytes = ROOT, simulations: int = SIMULATIONS) -> Competition:
    return Competition.create(
        title="Test cup",
        market="amm",
        ruleset="arena",
        config=ArenaConfig(steps=200, epoch_len=50),
        simulations=simulations,
        field=["cp20", "cp50"],
        root=root,
    )


def sequential(plan: RunPlan) -> RunResult:
    return run(plan, SequentialExecutor())


def submit(out: Path, source: str = SOURCE, author: str = "alice", executor=None) -> Receipt:
    competition = make_competition()
    plan = competition.plan(source, competition.schedule(ROOT))
    return issue(competition, run(plan, executor or SequentialExecutor()), author, out)


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Receipt:
    return submit(tmp_path_factory.mktemp("submissions"))


@pytest.fixture
def folder(issued: Receipt, tmp_path: Path) -> Path:
    """A copy of the submission folder, free to edit."""
    return Path(shutil.copytree(issued.folder, tmp_path / issued.folder.name))


def rewrite(folder: Path, change: Callable[[dict], None]) -> None:
    """Edit receipt.json and write it back canonical, as a careful forger would."""
    path = folder / "receipt.json"
    data = json.loads(path.read_bytes())
    change(data)
    path.write_bytes(rfc8785.dumps(data))


def check(folder: Path, root: bytes | None = ROOT, **options) -> Verification:
    return verify(read_receipt(folder), root, sequential, **options)


def failures(found: Verification) -> dict[str, str]:
    return {c.subject: c.message for c in found.checks if c.status == "fail"}


# -- issuing ---------------------------------------------------------------------------------


def test_receipt_is_canonical_and_names_everything(issued: Receipt) -> None:
    data = issued.data
    content = (issued.folder / "receipt.json").read_bytes()
    assert content == rfc8785.dumps(json.loads(content)) == issued.content
    assert issued.id == hashlib.sha256(content).hexdigest()
    assert data["strategy"] == {
        "file": "strategy.py",
        "name": "My fees",
        "model_used": "None",
        "sha256": hashlib.sha256(SOURCE.encode()).hexdigest(),
    }
    assert (issued.folder / "strategy.py").read_bytes() == SOURCE.encode()
    assert data["author"] == "alice"
    assert {"python", "arena", "numpy", "pandas", "scipy", "RestrictedPython", "pluggy"} <= set(
        data["software"]
    )
    competition = data["competition"]
    assert competition["ruleset"] == "arena" and competition["config"]["steps"] == 200
    assert competition["config_sha256"] == digest(
        {"market": "amm", "ruleset": "arena", "config": competition["config"]}
    )
    assert competition["seeds"]["commitment"] == hashlib.sha256(ROOT).hexdigest()
    assert [f["name"] for f in competition["field"]] == ["CP 20 bps", "CP 50 bps"]
    for name, entry in data["tables"].items():
        file = (issued.folder / entry["file"]).read_bytes()
        assert entry["sha256"] == sha256_hex(file), name
    assert data["metrics"]["simulations"] == SIMULATIONS
    assert data["metrics"]["ci_low"] < data["metrics"]["mean_edge"] < data["metrics"]["ci_high"]


def test_metrics_are_recomputed_exactly_from_the_results_file(issued: Receipt) -> None:
    results = issued.table("results")
    assert canonical_json(metrics(results, "My fees")) == canonical_json(issued.data["metrics"])
    assert list(results["sim"].unique()) == list(range(SIMULATIONS))


def test_receipts_are_byte_stable_across_runs_and_executors(
    issued: Receipt, tmp_path: Path
) -> None:
    executor = LocalExecutor(2)
    try:
        again = submit(tmp_path, executor=executor)
    finally:
        executor.shutdown()
    assert again.content == issued.content
    assert again.folder.name == issued.folder.name
    for file in ("results.csv", "epochs.csv", "strategy.py", "field/00_cp20.py"):
        assert (again.folder / file).read_bytes() == (issued.folder / file).read_bytes(), file
    # Issuing the same submission into the same place is harmless: same folder, same bytes.
    assert submit(tmp_path).folder == again.folder


def test_no_file_reveals_the_secret_seeds(issued: Receipt) -> None:
    seeds = derive_seeds(ROOT, range(SIMULATIONS))
    for path in issued.folder.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert not any(str(seed) in text for seed in seeds), path
    assert "seed" not in issued.table("results").columns


def test_the_documented_seed_rule_is_the_one_used() -> None:
    for i in (0, 1, 17, 2**40):
        scope = {"sha256": lambda data: hashlib.sha256(data).digest(), "root": ROOT, "i": i}
        exec(SEED_DERIVATION, scope)
        assert scope["seed_i"] == derive_seeds(ROOT, [i])[0] < 2**64
    assert len(set(derive_seeds(ROOT, range(1000)))) == 1000
    assert commitment(ROOT) == hashlib.sha256(ROOT).hexdigest()
    assert parse_root(ROOT.hex()) == ROOT
    with pytest.raises(ConfigError, match="64 hexadecimal digits"):
        parse_root("abc")


cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e-300, max_value=1e-300),
)
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


@given(st.lists(st.tuples(st.integers(-(2**62), 2**62), cells, texts), min_size=1, max_size=20))
def test_tables_round_trip_exactly(rows: list[tuple[int, float, str]]) -> None:
    table = pd.DataFrame(rows, columns=["sim", "edge", "first_error"])
    content, columns = table_bytes(table)
    assert columns == [["sim", "int"], ["edge", "float"], ["first_error", "str"]]
    back = read_table(content, columns)
    assert back["sim"].tolist() == table["sim"].tolist()
    for a, b in zip(back["edge"], table["edge"], strict=True):
        assert (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    assert back["first_error"].tolist() == table["first_error"].tolist()
    assert table_bytes(back)[0] == content


def test_issue_refuses_incomplete_runs_and_bad_authors(tmp_path: Path) -> None:
    competition = make_competition()
    result = sequential(competition.plan(SOURCE, competition.schedule(ROOT)))
    with pytest.raises(ArenaError, match="--author"):
        issue(competition, result, "  ", tmp_path)
    result.complete = False
    with pytest.raises(ArenaError, match="scoring did not finish"):
        issue(competition, result, "alice", tmp_path)
    assert not any(tmp_path.iterdir())


# -- verification ----------------------------------------------------------------------------


def test_an_untouched_receipt_verifies_in_full_and_by_sample(issued: Receipt) -> None:
    found = check(issued.folder, known_ids={issued.id})
    assert found.verified, failures(found)
    assert found.simulations == list(range(SIMULATIONS))
    sampled = check(issued.folder, sample=2, rng=random.Random(3))
    assert sampled.verified and len(sampled.simulations) == 2


def test_without_the_seed_root_nothing_is_re_run(issued: Receipt) -> None:
    found = check(issued.folder, root=None)
    assert not found.verified and not failures(found)
    assert any(c.subject == "seeds" and c.status == "skip" for c in found.checks)


def edit_metric(folder: Path) -> None:
    rewrite(folder, lambda d: d["metrics"].update(mean_edge=99.0))


def edit_result_value(folder: Path) -> None:
    path = folder / "results.csv"
    lines = path.read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    cells = lines[1].split(",")  # simulation 0, pool 0: the submission
    cells[header.index("edge")] = "12.5"
    lines[1] = ",".join(cells)
    path.write_text("".join(lines))


def forge_results(folder: Path) -> None:
    """Edit a value and make the receipt agree: only a re-run can tell."""
    edit_result_value(folder)
    content = (folder / "results.csv").read_bytes()

    def change(data: dict) -> None:
        entry = data["tables"]["results"]
        entry["sha256"] = sha256_hex(content)
        data["metrics"] = metrics(read_table(content, entry["columns"]), data["strategy"]["name"])

    rewrite(folder, change)


def edit_source(folder: Path) -> None:
    path = folder / "strategy.py"
    path.write_text(path.read_text().replace("FEE_BPS = 35", "FEE_BPS = 36"))


def edit_field(folder: Path) -> None:
    path = folder / "field" / "00_cp20.py"
    path.write_text(path.read_text().replace("FEE_BPS = 20", "FEE_BPS = 90"))


EDITS = {
    "metrics": (edit_metric, {"metrics": "edited metrics: mean_edge is 99 in the receipt"}),
    "reformatted": (
        lambda f: (f / "receipt.json").write_text(
            json.dumps(json.loads((f / "receipt.json").read_text()), indent=1)
        ),
        {"receipt": "not in canonical form"},
    ),
    "results value": (
        edit_result_value,
        {
            "results file": "results.csv was edited",
            "metrics": "the edited results give other metrics",
            "re-run results": "edge is 12.5 in the file",
        },
    ),
    "forged results": (
        forge_results,
        {"re-run results": "simulation 0, pool 0 (My fees): edge is 12.5 in the file"},
    ),
    "source": (
        edit_source,
        {"source": "strategy.py was edited", "re-run results": "differs from the re-run"},
    ),
    "field": (
        edit_field,
        {"field": "field/00_cp20.py was edited", "competition": "differs from its id"},
    ),
    "arena version": (
        lambda f: rewrite(f, lambda d: d["software"].update(arena="9.9.9")),
        {"arena version": "made with arena 9.9.9"},
    ),
    "config": (
        lambda f: rewrite(f, lambda d: d["competition"]["config"].update(steps=150)),
        {"config": "differs from its hash", "competition": "differs from its id"},
    ),
    "commitment": (
        lambda f: rewrite(f, lambda d: d["competition"]["seeds"].update(commitment="0" * 64)),
        {"competition": "differs from its id", "seeds": "these are other seeds"},
    ),
    "missing results": (
        lambda f: (f / "results.csv").unlink(),
        {"results file": "results.csv is missing"},
    ),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_every_edit_is_found_with_a_specific_message(
    issued: Receipt, folder: Path, edit: str
) -> None:
    change, expected = EDITS[edit]
    change(folder)
    found = check(folder, known_ids={issued.id})
    problems = failures(found)
    assert not found.verified
    for subject, message in expected.items():
        assert message in problems.get(subject, ""), (subject, problems)
    receipt_changed = (folder / "receipt.json").read_bytes() != issued.content
    assert ("leaderboard" in problems) == receipt_changed
    unexpected = set(problems) - set(expected) - {"leaderboard", "re-run results", "re-run epochs"}
    assert not unexpected, problems


def test_other_seeds_are_named_as_such(issued: Receipt) -> None:
    problems = failures(check(issued.folder, root=bytes(32)))
    assert set(problems) == {"seeds"} and "other seeds" in problems["seeds"]


def test_read_receipt_refuses_what_is_not_a_receipt(folder: Path, tmp_path: Path) -> None:
    with pytest.raises(ArenaError, match="no receipt"):
        read_receipt(tmp_path / "nowhere")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ArenaError, match="not an arena receipt"):
        read_receipt(tmp_path / "x.json")
    original = (folder / "receipt.json").read_bytes()
    for change, message in (
        (lambda d: d["tables"].update(results=[]), "a table lacks columns"),
        (lambda d: d.update(competition="Cup"), "competition is missing or malformed"),
        (lambda d: d["strategy"].update(file="../../etc/passwd"), "outside its folder"),
    ):
        (folder / "receipt.json").write_bytes(original)
        rewrite(folder, change)
        with pytest.raises(ArenaError, match=message):
            read_receipt(folder)
