"""Receipts: what a submission scored, in a form anyone can check.

A submission folder holds

* ``strategy.py``, the submitted source, byte for byte, and ``field/*.py``, its opponents;
* ``results.csv``, one row per simulation and pool: the runner's results without the
  ``seed`` column (seeds stay secret until the owner reveals the root; simulation ``i``'s
  seed follows from the root), and one file per extra table of the ruleset (``epochs.csv``);
* ``receipt.json``: canonical JSON (RFC 8785) with the sha256 of every file above, the author,
  the versions of Python, arena and its dependencies, the competition (market, ruleset,
  config and its hash, field, number of simulations, seed commitment) and the metrics with
  their confidence intervals.

A receipt's id is the sha256 of ``receipt.json``. Tables are written deterministically
(fixed column order, rows sorted by simulation, floats as ``repr``, which round-trips), so
the same inputs give the same bytes on any machine, and the metrics are recomputed from the
file exactly. :mod:`arena.verification` re-checks all of it and re-runs the simulations.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import platform
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import rfc8785

from arena.competition import STRATEGY_FILE, Competition
from arena.errors import ArenaError
from arena.market import STRATEGY_ROLE
from arena.metrics import CONFIDENCE, summarize
from arena.runner import RunResult

__all__ = [
    "FORMAT",
    "RECEIPT_FILE",
    "TABLE_KEYS",
    "Receipt",
    "canonical_json",
    "canonical_table",
    "cell_text",
    "competition_section",
    "digest",
    "folder_file",
    "issue",
    "metrics",
    "read_receipt",
    "read_table",
    "sha256_hex",
    "software_versions",
    "table_bytes",
]

FORMAT: Final = "arena-receipt/1"
RECEIPT_FILE: Final = "receipt.json"
#: Packages whose versions can change results (besides arena and Python).
DEPENDENCIES: Final = (
    "numpy",
    "numba",
    "pandas",
    "scipy",
    "RestrictedPython",
    "pluggy",
    "rfc8785",
)
#: Columns kept out of result files: they would reveal the secret seeds.
SECRET_COLUMNS: Final = ("seed",)
#: Columns that identify a row of a table; rows are sorted by them.
TABLE_KEYS: Final = ("match", "sim", "epoch", "step", "pool")
_SAFE_FILE = re.compile(r"(field/)?[A-Za-z0-9_-][A-Za-z0-9_.-]*")


def canonical_json(data: Any) -> bytes:
    """``data`` as RFC 8785 canonical JSON (NaN is not allowed: use ``None``)."""
    return rfc8785.dumps(data)


def sha256_hex(content: bytes) -> str:
    """Hex sha256 of ``content``."""
    return hashlib.sha256(content).hexdigest()


def digest(data: Any) -> str:
    """Hex sha256 of ``data``'s canonical JSON."""
    return sha256_hex(canonical_json(data))


def software_versions() -> dict[str, str]:
    """Versions of Python, arena and the packages that can change results."""
    import arena

    found = {"python": platform.python_version(), "arena": arena.__version__}
    for name in DEPENDENCIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


# -- deterministic tables -------------------------------------------------------------------


def _kind(column: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_integer_dtype(column):
        return "int"
    if pd.api.types.is_float_dtype(column):
        return "float"
    return "str"


def cell_text(value: Any) -> str:
    """A text cell: ``None`` and NaN are empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


#: Cell values by column kind, as Python types the csv module writes exactly: ints as digits,
#: floats by ``repr`` (which round-trips), strings always quoted (so "\r" and "nan" stay text).
_CELLS: Final[dict[str, Callable[[Any], int | float | str]]] = {
    "int": int,
    "float": float,
    "str": cell_text,
}


def canonical_table(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` without secret columns, rows sorted by match, simulation, epoch and pool."""
    kept = table.drop(columns=[c for c in SECRET_COLUMNS if c in table.columns])
    keys = [k for k in TABLE_KEYS if k in kept.columns]
    return kept.sort_values(keys, kind="stable").reset_index(drop=True)


def table_bytes(table: pd.DataFrame) -> tuple[bytes, list[list[str]]]:
    """A canonical table as CSV bytes, and its ``[name, kind]`` column list."""
    columns = [[str(name), _kind(table[name])] for name in table.columns]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([name for name, _ in columns])
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    cells = [_CELLS[kind] for _, kind in columns]
    for row in zip(*(table[name].tolist() for name, _ in columns), strict=True):
        writer.writerow([cell(value) for cell, value in zip(cells, row, strict=True)])
    return buffer.getvalue().encode(), columns


def read_table(content: bytes, columns: list[list[str]]) -> pd.DataFrame:
    """Parse bytes written by :func:`table_bytes` with their column list.

    :raises ArenaError: if the header or a value does not fit the column list.
    """
    try:
        raw = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False, na_filter=False)
        if list(raw.columns) != [name for name, _ in columns]:
            raise ValueError("the header differs from the receipt's column list")
        table = pd.DataFrame(index=raw.index)
        for name, kind in columns:
            if kind == "int":
                table[name] = raw[name].astype("int64")
            elif kind == "float":
                table[name] = raw[name].map(float).astype("float64")
            else:
                table[name] = raw[name].astype(object)
    except (ValueError, TypeError, pd.errors.ParserError) as error:
        raise ArenaError(f"the table is not readable: {error}") from None
    return table


# -- issuing -----------------------------------------------------------------------------------


def metrics(results: pd.DataFrame, label: str) -> dict[str, Any]:
    """The receipt's metrics: ``label``'s row of :func:`arena.metrics.summarize`, JSON-ready."""
    summary = summarize(results)
    found = [
        row
        for row in summary.to_dict(orient="records")
        if row["strategy"] == label and row["role"] == STRATEGY_ROLE
    ]
    if len(found) != 1:
        raise ArenaError(f"the results hold no strategy called {label!r}")
    values = {str(k): _plain(v) for k, v in found[0].items() if k not in ("strategy", "role")}
    return {"confidence": CONFIDENCE} | values


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer | int):
        return int(value)
    number = float(value)
    return None if math.isnan(number) else number


@dataclass(frozen=True)
class Receipt:
    """A receipt as read from (or written to) its submission folder."""

    folder: Path
    content: bytes
    data: Mapping[str, Any]

    @property
    def id(self) -> str:
        """The sha256 of ``receipt.json``."""
        return sha256_hex(self.content)

    def source(self) -> str:
        """The submitted source, from the folder."""
        return self._text(self.data["strategy"]["file"])

    def competition(self) -> Competition:
        """The competition the receipt states, with the field's sources from the folder."""
        stated = self.data["competition"]
        sources = {entry["file"]: self._text(entry["file"]) for entry in stated.get("field", [])}
        return Competition.from_public(stated, sources)

    def table(self, name: str) -> pd.DataFrame:
        """One of the receipt's tables (``results``, ``epochs``, …), read from its file."""
        entry = self.data["tables"][name]
        return read_table(self._bytes(entry["file"]), entry["columns"])

    def _text(self, name: str) -> str:
        return self._bytes(name).decode("utf-8", errors="replace")

    def _bytes(self, name: str) -> bytes:
        try:
            return folder_file(self.folder, name).read_bytes()
        except OSError:
            raise ArenaError(f"{name} is missing from {self.folder}") from None


def competition_section(competition: Competition) -> dict[str, Any]:
    """The competition as a receipt states it: public definition, its id and config hash."""
    public = competition.public()
    config = {key: public[key] for key in ("market", "ruleset", "config")}
    return public | {"id": digest(public), "config_sha256": digest(config)}


def issue(competition: Competition, result: RunResult, author: str, out_dir: Path) -> Receipt:
    """Write the submission folder of a scored run into ``out_dir`` and return its receipt.

    ``result`` is the run of ``competition.plan(...)``: the submission is its first strategy.
    The folder appears complete or not at all (it is written aside and renamed).

    :raises ArenaError: if the run is incomplete or ``author`` is not a usable name.
    """
    if not result.complete:
        failures = "; ".join(result.failures) or "interrupted"
        raise ArenaError(f"scoring did not finish, so there is no receipt: {failures}")
    if not author.strip() or len(author) > 100 or not author.isprintable():
        raise ArenaError("--author must be a printable name of 1 to 100 characters")
    strategy = result.plan.strategies[0]
    files: dict[str, bytes] = {STRATEGY_FILE: strategy.source.encode()}
    files |= {f.file: f.source.encode() for f in competition.field}
    tables: dict[str, Any] = {}
    for name, table in {"results": result.results, **result.tables}.items():
        content, columns = table_bytes(canonical_table(table))
        files[f"{name}.csv"] = content
        tables[name] = {
            "file": f"{name}.csv",
            "sha256": sha256_hex(content),
            "rows": len(table),
            "columns": columns,
        }
    # Metrics come from the file's bytes, exactly as verify recomputes them.
    results = read_table(files["results.csv"], tables["results"]["columns"])
    data = {
        "format": FORMAT,
        "author": author.strip(),
        "strategy": {
            "file": STRATEGY_FILE,
            "name": strategy.name,
            "model_used": strategy.model_used,
            "sha256": strategy.sha256,
        },
        "competition": competition_section(competition),
        "software": software_versions(),
        "tables": tables,
        "metrics": metrics(results, strategy.name),
    }
    content = canonical_json(data)
    files[RECEIPT_FILE] = content
    folder_name = f"{_slug(author)}-{_slug(strategy.name)}-{sha256_hex(content)[:12]}"
    folder = _write_folder(out_dir, folder_name, files)
    return Receipt(folder, content, data)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "x"


def _write_folder(out_dir: Path, name: str, files: Mapping[str, bytes]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".incomplete-", dir=out_dir))
    staging.chmod(0o755)  # mkdtemp makes it private; receipts are for publishing
    for relative, content in files.items():
        path = staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    final = out_dir / name
    try:
        os.rename(staging, final)
    except OSError:
        # The folder name holds the receipt's hash: an existing one is the same submission.
        same = all(
            (final / file).is_file() and (final / file).read_bytes() == content
            for file, content in files.items()
        )
        shutil.rmtree(staging)
        if not same:
            raise ArenaError(f"{final} exists and holds other files") from None
    return final


# -- reading and verifying --------------------------------------------------------------------


def read_receipt(path: Path) -> Receipt:
    """Read a receipt from ``receipt.json`` or its submission folder.

    :raises ArenaError: if there is no receipt there or it is not an arena receipt.
    """
    file = path / RECEIPT_FILE if path.is_dir() else path
    try:
        content = file.read_bytes()
        data = json.loads(content)
    except OSError:
        raise ArenaError(f"no receipt at {path}") from None
    except ValueError:
        raise ArenaError(f"{file} is not JSON") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ArenaError(f"{file} is not an arena receipt (format {FORMAT})")
    problem = _shape_problem(data)
    if problem:
        raise ArenaError(f"{file} is not a well-formed receipt: {problem}")
    return Receipt(file.parent, content, data)


def _shape_problem(data: Mapping[str, Any]) -> str | None:
    """What makes ``data`` unusable as a receipt (``None`` if nothing): missing or mistyped
    sections, or file names outside the submission folder."""
    for key in ("author", "strategy", "competition", "software", "tables", "metrics"):
        if not isinstance(data.get(key), str if key == "author" else dict):
            return f"{key} is missing or malformed"
    strategy, competition, tables = data["strategy"], data["competition"], data["tables"]
    if not all(isinstance(strategy.get(k), str) for k in ("file", "name", "model_used", "sha256")):
        return "strategy lacks file, name, model_used or sha256"
    field = competition.get("field")
    if not isinstance(field, list) or not all(isinstance(f, dict) for f in field):
        return "competition.field is missing or malformed"
    if "results" not in tables or not all(
        isinstance(t, dict)
        and isinstance(t.get("columns"), list)
        and isinstance(t.get("rows"), int)
        and isinstance(t.get("sha256"), str)
        for t in tables.values()
    ):
        return "tables lack results, or a table lacks columns, rows or sha256"
    for entry in [strategy, *field, *tables.values()]:
        if not _SAFE_FILE.fullmatch(str(entry.get("file", ""))):
            return f"it names a file outside its folder: {entry.get('file')!r}"
    return None


def folder_file(folder: Path, name: str) -> Path:
    """The file ``name`` of a submission folder (never a path outside it)."""
    if not _SAFE_FILE.fullmatch(name):
        raise ArenaError(f"{name!r} is not a file of a submission folder")
    return folder / name
