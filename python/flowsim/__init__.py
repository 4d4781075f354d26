"""flowsim from Python: push, pull and flow compared by Monte Carlo simulation.

Each function runs the same code as the ``flowsim`` command line, in this process, into a
result folder (a temporary one unless ``out`` is given), and reads that folder's CSV files back:
the numbers are the command line's for the same scenario, overrides and seed, by construction.
Tables are pandas data frames when pandas is installed, else lists of dicts (numbers as int or
float, true/false as bool, empty cells as None).

    >>> import flowsim
    >>> r = flowsim.run("scenarios/small_team.toml", reps=200, seed=7,
    ...                 set={"team.developer.count": 3})
    >>> r.summary            # per policy and metric: mean, 95% interval, percentiles
    >>> r.differences        # paired differences between policies
    >>> r.replications       # one row per replication and policy
    >>> r.weekly             # weekly series across replications
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ._native import FlowsimError, __version__
from ._native import cli as _cli

try:  # pandas is optional: without it, tables are lists of dicts.
    import pandas as _pd
except ImportError:  # pragma: no cover - depends on the environment
    _pd = None

__all__ = [
    "FlowsimError",
    "ForecastResult",
    "RunResult",
    "SweepResult",
    "cli",
    "forecast",
    "read_table",
    "run",
    "sweep",
    "__version__",
]


def cli(*args: str | os.PathLike) -> str:
    """Runs any flowsim command line (without the leading ``flowsim``) in this process and
    returns what it printed, e.g. ``flowsim.cli("check", "scenarios/")``."""
    return _cli(["flowsim", *map(os.fspath, args)])


def _number(cell: str) -> Any:
    if cell == "":
        return None
    if cell in ("true", "false"):  # as pandas reads them
        return cell == "true"
    try:
        return int(cell)
    except ValueError:
        pass
    try:
        return float(cell)
    except ValueError:
        return cell


def read_table(path: str | os.PathLike):
    """One CSV file of a result folder: a pandas data frame (floats parsed round-trip exact)
    when pandas is installed, else a list of dicts."""
    if _pd is not None:
        if int(_pd.__version__.split(".")[0]) < 3:  # pandas 3 parses round-trip by default
            return _pd.read_csv(path, float_precision="round_trip")
        return _pd.read_csv(path)
    with open(path, newline="", encoding="utf-8") as f:
        return [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(f)]


def _common(
    reps: int | None,
    seed: int | None,
    set: Mapping[str, Any] | Iterable[str] | None,
    policies: Sequence[str] | None,
    threads: int | None,
) -> list[str]:
    argv = ["--quiet", "--no-charts", "--force"]
    if reps is not None:
        argv += ["--reps", str(int(reps))]
    if seed is not None:
        argv += ["--seed", str(int(seed))]
    if policies is not None:
        if isinstance(policies, str):
            policies = [policies]
        argv += ["--policies", ",".join(policies)]
    if threads is not None:
        argv += ["--threads", str(int(threads))]
    for assignment in _assignments(set):
        argv += ["--set", assignment]
    return argv


def _value(v: Any) -> str:
    """A Python value as the text of a TOML value in ``--set PATH=VALUE``."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(json.dumps(x) if isinstance(x, str) else _value(x) for x in v) + "]"
    raise TypeError(f"cannot pass {v!r} as a scenario value; give a number, bool, string or list")


def _assignments(set: Mapping[str, Any] | Iterable[str] | None) -> list[str]:
    if set is None:
        return []
    if isinstance(set, Mapping):
        return [f"{k}={_value(v)}" for k, v in set.items()]
    return [str(s) for s in set]


class _Folder:
    """A result folder: the given one, or a temporary one removed once read."""

    def __init__(self, out: str | os.PathLike | None):
        self._tmp = None if out is not None else tempfile.TemporaryDirectory(prefix="flowsim-")
        self.path = Path(out) if out is not None else Path(self._tmp.name) / "result"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._tmp is not None:
            self._tmp.cleanup()

    def said(self, text: str) -> str:
        """The command's text, less its "Wrote FOLDER" line when the folder is temporary."""
        if self._tmp is None:
            return text
        return "".join(
            line for line in text.splitlines(keepends=True) if str(self.path) not in line
        )


def _manifest(dir: Path) -> dict | None:
    path = dir / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


@dataclass
class RunResult:
    """The result folder of one ``flowsim run``, read back. ``text`` is the table the command
    line prints; ``out`` the folder, when one was given (else it was temporary and is gone)."""

    summary: Any
    differences: Any
    replications: Any
    weekly: Any
    manifest: dict
    text: str
    out: Path | None = None

    def __repr__(self) -> str:
        return self.text


def _read_run(dir: Path, text: str, out: Path | None) -> RunResult:
    return RunResult(
        summary=read_table(dir / "summary.csv"),
        differences=read_table(dir / "differences.csv"),
        replications=read_table(dir / "replications.csv"),
        weekly=read_table(dir / "weekly.csv"),
        manifest=_manifest(dir),
        text=text,
        out=out,
    )


def run(
    scenario: str | os.PathLike,
    *,
    reps: int | None = None,
    seed: int | None = None,
    set: Mapping[str, Any] | Iterable[str] | None = None,
    policies: Sequence[str] | None = None,
    threads: int | None = None,
    out: str | os.PathLike | None = None,
) -> RunResult:
    """``flowsim run SCENARIO``: every policy of the scenario (or ``policies``), ``reps``
    replications from ``seed``, with ``set`` overrides (``{"team.developer.count": 3}`` or
    ``["team.developer.count=3"]``, as ``--set``). ``out`` keeps the result folder (replaced if it
    exists). Raises FlowsimError with the command line's message on bad input."""
    with _Folder(out) as folder:
        argv = ["flowsim", "run", os.fspath(scenario), "--out", str(folder.path)]
        text = folder.said(_cli(argv + _common(reps, seed, set, policies, threads)))
        return _read_run(folder.path, text, Path(out) if out is not None else None)


@dataclass
class SweepResult:
    """The folder of one ``flowsim sweep``: ``sweep`` (one row per point and policy) and
    ``points`` (each point's full run result, in point order)."""

    sweep: Any
    points: list[RunResult] = field(default_factory=list)
    text: str = ""
    out: Path | None = None

    def __repr__(self) -> str:
        return self.text


def sweep(
    scenario: str | os.PathLike,
    vary: Mapping[str, Iterable[Any]] | Iterable[str],
    *,
    reps: int | None = None,
    seed: int | None = None,
    set: Mapping[str, Any] | Iterable[str] | None = None,
    policies: Sequence[str] | None = None,
    threads: int | None = None,
    out: str | os.PathLike | None = None,
) -> SweepResult:
    """``flowsim sweep SCENARIO --vary ...``: ``vary`` is ``{"team.developer.count": [2, 3, 4]}`` (at
    most two paths, a grid) or the command line's ``["team.developer.count=2,3,4"]``; the same seed at
    every point (common random numbers)."""
    if isinstance(vary, Mapping):
        varies = [f"{k}={','.join(_value(v) for v in vals)}" for k, vals in vary.items()]
    else:
        varies = [str(v) for v in vary]
    with _Folder(out) as folder:
        argv = ["flowsim", "sweep", os.fspath(scenario), "--out", str(folder.path)]
        for v in varies:
            argv += ["--vary", v]
        text = folder.said(_cli(argv + _common(reps, seed, set, policies, threads)))
        points_dir = folder.path / "points"
        points = [
            _read_run(p, "", None)
            for p in sorted(points_dir.iterdir())
            if p.is_dir()
        ]
        return SweepResult(
            sweep=read_table(folder.path / "sweep.csv"),
            points=points,
            text=text,
            out=Path(out) if out is not None else None,
        )


@dataclass
class ForecastResult:
    """The folder of one ``flowsim forecast``: ``forecast`` (one row per policy) and ``runs``
    (one row per replication and policy)."""

    forecast: Any
    runs: Any
    manifest: dict | None
    text: str
    out: Path | None = None

    def __repr__(self) -> str:
        return self.text


def forecast(
    scenario: str | os.PathLike,
    *,
    cards: int | None = None,
    no_arrivals: bool = False,
    start: str | None = None,
    by: str | None = None,
    by_weeks: float | None = None,
    reps: int | None = None,
    seed: int | None = None,
    set: Mapping[str, Any] | Iterable[str] | None = None,
    policies: Sequence[str] | None = None,
    threads: int | None = None,
    out: str | os.PathLike | None = None,
) -> ForecastResult:
    """``flowsim forecast SCENARIO``: when will ``cards`` be done (dates with ``start``,
    ``YYYY-MM-DD``), and how many by ``by`` (a date) or ``by_weeks``?"""
    with _Folder(out) as folder:
        argv = ["flowsim", "forecast", os.fspath(scenario), "--out", str(folder.path)]
        if cards is not None:
            argv += ["--cards", str(int(cards))]
        if no_arrivals:
            argv += ["--no-arrivals"]
        if start is not None:
            argv += ["--start", str(start)]
        if by is not None:
            argv += ["--by", str(by)]
        if by_weeks is not None:
            argv += ["--by-weeks", repr(float(by_weeks))]
        text = folder.said(_cli(argv + _common(reps, seed, set, policies, threads)))
        return ForecastResult(
            forecast=read_table(folder.path / "forecast.csv"),
            runs=read_table(folder.path / "forecast_runs.csv"),
            manifest=_manifest(folder.path),
            text=text,
            out=Path(out) if out is not None else None,
        )
