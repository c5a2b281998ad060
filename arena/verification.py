"""Verification of a receipt: every hash, the metrics, and a re-run of the simulations.

:func:`verify` checks, and reports in plain words, each way a receipt can be wrong:

* the receipt file: canonical form, and (given the leaderboard) that its id was recorded;
* the competition: its id and config hash against their contents, the field's sources;
* versions: another arena version fails; other dependency versions are noted;
* the source and every table file against their sha256, and the metrics recomputed from
  ``results.csv``;
* the seeds: the seed root against the receipt's commitment; then the simulations (all, or
  a random sample) are re-run and compared with the files value by value.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from arena.competition import STRATEGY_FILE, Competition, commitment
from arena.errors import ArenaError
from arena.receipts import (
    TABLE_KEYS,
    Receipt,
    canonical_json,
    canonical_table,
    cell_text,
    competition_section,
    folder_file,
    metrics,
    read_table,
    sha256_hex,
    software_versions,
)
from arena.runner import RunPlan, RunResult

__all__ = ["RERUN_TOLERANCE", "Check", "Verification", "verify"]

#: Re-run values may differ from the file by this much (relative) on another platform.
RERUN_TOLERANCE: Final = 1e-9
_SHOWN_DIFFERENCES: Final = 5
_KEY_NAMES: Final = {"sim": "simulation"}


Status = Literal["ok", "fail", "note", "skip"]


@dataclass(frozen=True)
class Check:
    """One verification finding.

    ``status``: ``ok``; ``fail`` (a mismatch); ``note`` (a difference that does not fail by
    itself, such as another numpy version); ``skip`` (could not be checked).
    """

    subject: str
    status: Status
    message: str


@dataclass
class Verification:
    """What :func:`verify` found; ``verified`` needs every check to pass, re-run included."""

    receipt: Receipt
    checks: list[Check] = field(default_factory=list)
    simulations: list[int] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        """No mismatch, and nothing left unchecked."""
        return all(c.status in ("ok", "note") for c in self.checks)

    def add(self, subject: str, status: Status, message: str) -> None:
        """Record a finding."""
        self.checks.append(Check(subject, status, message))


def verify(
    receipt: Receipt,
    root: bytes | None,
    execute: Callable[[RunPlan], RunResult],
    *,
    sample: int | None = None,
    known_ids: Collection[str] | None = None,
    rng: random.Random | None = None,
) -> Verification:
    """Check a receipt, its files and, given the seed root, re-run its simulations.

    :param root: the revealed (or the owner's) seed root; without it nothing is re-run.
    :param execute: runs a plan (the command line's executor and progress bar).
    :param sample: re-run only this many simulations, chosen at random (default: all).
    :param known_ids: the receipt ids on the leaderboard, to check this one is recorded.
    """
    found = Verification(receipt)
    data = receipt.data
    _check_receipt_file(found, known_ids)
    competition = _check_competition(found)
    _check_versions(found, data["software"])
    content = _check_file(found, "source", STRATEGY_FILE, data["strategy"]["sha256"])
    source = None if content is None else content.decode("utf-8", errors="replace")
    names = sorted(data["tables"], key=lambda name: name != "results")
    checked = len(found.checks)
    tables = {name: _check_table(found, name) for name in names}
    if tables["results"] is not None:
        recomputed = metrics(tables["results"], data["strategy"]["name"])
        files_intact = all(c.status == "ok" for c in found.checks[checked:])
        _check_metrics(found, data["metrics"], recomputed, files_intact)
    if competition is None or source is None:
        found.add("re-run", "skip", "nothing re-run: the source or the field is missing")
    elif root is None:
        found.add(
            "seeds",
            "skip",
            "the seed root is secret until the owner reveals it; re-run with --seed-root ROOT then",
        )
    elif not competition.opens(root):
        found.add(
            "seeds",
            "fail",
            f"the seed root given hashes to {commitment(root)[:16]}…, "
            f"not to the receipt's commitment {competition.seed_commitment[:16]}…: "
            "these are other seeds",
        )
    else:
        found.add("seeds", "ok", "the seed root matches the receipt's commitment")
        indices = list(range(competition.simulations))
        if sample and sample < len(indices):
            indices = sorted((rng or random.SystemRandom()).sample(indices, sample))
        found.simulations = indices
        try:
            result = execute(competition.plan(source, competition.schedule(root, indices)))
        except ArenaError as error:
            found.add("re-run", "fail", f"the strategy does not run: {error}")
        else:
            _compare(found, result, tables, competition.simulations)
    return found


def _check_receipt_file(found: Verification, known_ids: Collection[str] | None) -> None:
    receipt = found.receipt
    if canonical_json(receipt.data) != receipt.content:
        found.add(
            "receipt",
            "fail",
            "receipt.json is not in canonical form (RFC 8785): it was "
            "re-written after it was issued",
        )
    else:
        found.add("receipt", "ok", f"canonical JSON, receipt id {receipt.id[:12]}")
    if known_ids is None:
        found.add("leaderboard", "note", "not compared with a leaderboard (give --db or --ranking)")
    elif receipt.id in known_ids:
        found.add("leaderboard", "ok", "recorded on the leaderboard")
    else:
        found.add(
            "leaderboard",
            "fail",
            f"no submission on the leaderboard has receipt id "
            f"{receipt.id[:12]}: the receipt was edited after it was issued, or is not from "
            "this leaderboard",
        )


def _check_competition(found: Verification) -> Competition | None:
    stated = found.receipt.data["competition"]
    sources = {}
    for entry in stated.get("field", []):
        content = _check_file(found, "field", entry["file"], entry["sha256"])
        if content is None:
            return None
        sources[entry["file"]] = content.decode("utf-8", errors="replace")
    competition = Competition.from_public(stated, sources)
    section = competition_section(competition)
    if section["config_sha256"] != stated.get("config_sha256"):
        found.add(
            "config",
            "fail",
            "the market, ruleset or config differs from its hash config_sha256: it was edited",
        )
    if section["id"] != stated.get("id"):
        found.add(
            "competition", "fail", "the competition's definition differs from its id: it was edited"
        )
    else:
        found.add(
            "competition",
            "ok",
            f"{competition.ruleset} ruleset, {competition.simulations} "
            f"simulations, config {section['config_sha256'][:12]}",
        )
    return competition


def _check_versions(found: Verification, stated: Mapping[str, str]) -> None:
    here = software_versions()
    if stated.get("arena") != here["arena"]:
        found.add(
            "arena version",
            "fail",
            f"the receipt was made with arena "
            f"{stated.get('arena')}, this is arena {here['arena']}: install that version "
            "to verify it",
        )
    else:
        found.add("arena version", "ok", f"arena {here['arena']}")
    others = [
        f"{k} {stated.get(k, '(not recorded)')} (here {v})"
        for k, v in here.items()
        if k != "arena" and stated.get(k) != v
    ]
    if others:
        found.add(
            "dependencies",
            "note",
            f"made with {', '.join(others)}; the re-run shows whether it matters",
        )


def _check_file(found: Verification, subject: str, name: str, sha256: str) -> bytes | None:
    """The content of a submission-folder file (``None`` if missing); reports a wrong hash."""
    path = folder_file(found.receipt.folder, name)
    if not path.is_file():
        found.add(subject, "fail", f"{name} is missing from the submission folder")
        return None
    content = path.read_bytes()
    if sha256_hex(content) != sha256:
        found.add(
            subject,
            "fail",
            f"{name} was edited: its sha256 is {sha256_hex(content)[:16]}…, "
            f"the receipt says {sha256[:16]}…",
        )
    elif subject == "source":
        found.add(subject, "ok", f"{name} is the source that was scored")
    return content


def _check_table(found: Verification, name: str) -> pd.DataFrame | None:
    entry = found.receipt.data["tables"][name]
    file, subject = entry["file"], f"{name} file"
    before = len(found.checks)
    content = _check_file(found, subject, file, entry["sha256"])
    if content is None:
        return None
    try:
        table = read_table(content, entry["columns"])
    except ArenaError as error:
        found.add(subject, "fail", f"{file}: {error}")
        return None
    if len(table) != entry["rows"]:
        found.add(
            subject, "fail", f"{file} has {len(table)} rows, the receipt says {entry['rows']}"
        )
    elif len(found.checks) == before:
        found.add(subject, "ok", f"{file}: {len(table)} rows, sha256 matches")
    return table


def _check_metrics(
    found: Verification,
    stated: Mapping[str, Any],
    recomputed: Mapping[str, Any],
    files_intact: bool,
) -> None:
    wrong = [
        f"{key} is {stated.get(key)!r} in the receipt but {value!r} from results.csv"
        for key, value in recomputed.items()
        if canonical_json(stated.get(key)) != canonical_json(value)
    ]
    wrong += [
        f"{key} is in the receipt but arena computes no such metric"
        for key in stated
        if key not in recomputed
    ]
    if wrong:
        cause = "edited metrics" if files_intact else "the edited results give other metrics"
        found.add("metrics", "fail", f"{cause}: {_first_few(wrong)}")
    else:
        found.add(
            "metrics", "ok", f"recomputed from results.csv: mean edge {recomputed['mean_edge']:.4f}"
        )


def _compare(
    found: Verification, result: RunResult, tables: Mapping[str, pd.DataFrame | None], count: int
) -> None:
    """Compare a re-run of ``found.simulations`` with the receipt's tables."""
    if not result.complete:
        found.add("re-run", "fail", "the re-run did not finish: " + "; ".join(result.failures))
        return
    indices = found.simulations
    rerun = {"results": result.results, **result.tables}
    which = (
        f"all {count} simulations"
        if len(indices) == count
        else (f"simulations {_listing(indices)} ({len(indices)} of {count})")
    )
    for name, table in tables.items():
        if table is None:
            found.add(f"re-run {name}", "skip", f"{name} not compared: its file is unusable")
            continue
        fresh = canonical_table(rerun.get(name, pd.DataFrame()))
        if "sim" in fresh.columns:  # the re-run numbers the sampled simulations 0, 1, …
            fresh["sim"] = np.asarray(indices)[fresh["sim"].to_numpy()]
        recorded = table[table["sim"].isin(indices)] if "sim" in table.columns else table
        differences = _differences(recorded, fresh)
        if differences:
            found.add(
                f"re-run {name}",
                "fail",
                f"{name}.csv differs from the re-run: {_first_few(differences)}",
            )
        else:
            found.add(f"re-run {name}", "ok", f"re-ran {which}: {name}.csv matches")


def _differences(recorded: pd.DataFrame, fresh: pd.DataFrame) -> list[str]:
    if list(recorded.columns) != list(fresh.columns):
        return [f"the re-run has columns {list(fresh.columns)}, the file {list(recorded.columns)}"]
    keys = [k for k in TABLE_KEYS if k in recorded.columns]
    left, right = recorded.set_index(keys), fresh.set_index(keys)
    if not left.index.equals(right.index):
        return [f"the re-run has {len(right)} rows for these simulations, the file {len(left)}"]
    found = []
    for column in left.columns:
        a, b = left[column], right[column]
        if pd.api.types.is_float_dtype(a) and pd.api.types.is_float_dtype(b):
            same = np.isclose(a, b, rtol=RERUN_TOLERANCE, atol=RERUN_TOLERANCE, equal_nan=True)
        else:
            same = (a.map(cell_text) == b.map(cell_text)).to_numpy()
        values, rerun = a.tolist(), b.tolist()  # plain Python values, for plain messages
        for position in np.flatnonzero(~same).tolist():
            key = np.atleast_1d(left.index[position]).tolist()
            where = ", ".join(f"{_KEY_NAMES.get(k, k)} {v}" for k, v in zip(keys, key, strict=True))
            label = f" ({left['strategy'].iloc[position]})" if "strategy" in left.columns else ""
            found.append(
                f"{where}{label}: {column} is {values[position]!r} in the file, "
                f"{rerun[position]!r} re-run"
            )
    return found


def _first_few(problems: list[str]) -> str:
    more = len(problems) - _SHOWN_DIFFERENCES
    return "; ".join(problems[:_SHOWN_DIFFERENCES]) + (f"; and {more} more" if more > 0 else "")


def _listing(indices: list[int]) -> str:
    return ", ".join(str(i) for i in indices[:10]) + (" …" if len(indices) > 10 else "")
