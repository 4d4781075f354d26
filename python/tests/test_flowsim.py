"""The Python package against the command line: the same scenario, overrides and seed must give
the same CSV bytes, and the tables handed back must hold exactly those numbers."""

import csv
import math

import pytest

import flowsim

SMALL = "scenarios/small-team.toml"
TABLES = ["summary", "differences", "replications", "weekly"]


def rows_of(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def as_records(table):
    """A table handed back (data frame or list of dicts) as a list of dicts."""
    if isinstance(table, list):
        return table
    return table.to_dict("records")


def same_cell(text, value):
    """A CSV cell and the value read back: equal numbers (bit for bit), equal text, or empty."""
    if text == "":
        return value is None or (isinstance(value, float) and math.isnan(value))
    if text in ("true", "false"):
        return value == (text == "true")
    try:
        x = float(text)
    except ValueError:
        return str(value) == text
    return float(value) == x or (math.isnan(x) and math.isnan(float(value)))


def assert_table_matches(table, path):
    expected = rows_of(path)
    got = as_records(table)
    assert len(got) == len(expected) > 0
    for want, have in zip(expected, got):
        assert list(want) == list(have)
        for k in want:
            assert same_cell(want[k], have[k]), (path.name, k, want[k], have[k])


def test_run_gives_the_command_lines_bytes(root, cli_run, tmp_path, monkeypatch):
    monkeypatch.chdir(root)
    cli = cli_run("run", SMALL, "--reps", "40", "--seed", "11", "--set", "team.developer.count=2")
    r = flowsim.run(SMALL, reps=40, seed=11, set={"team.developer.count": 2}, out=tmp_path / "py")
    for name in TABLES:
        assert (tmp_path / "py" / f"{name}.csv").read_bytes() == (cli / f"{name}.csv").read_bytes(), name
        assert_table_matches(getattr(r, name), cli / f"{name}.csv")
    assert r.manifest["finished"] is True
    assert "seed 11" in r.text
    assert f"Wrote {tmp_path / 'py'}" in r.text


def test_a_temporary_folder_gives_the_same_tables(root, cli_run, monkeypatch):
    monkeypatch.chdir(root)
    cli = cli_run("run", SMALL, "--reps", "20", "--seed", "5", "--policies", "pull,flow")
    r = flowsim.run(SMALL, reps=20, seed=5, policies=["pull", "flow"])
    assert r.out is None
    assert "Wrote" not in r.text  # the temporary folder is gone: the text does not name it
    assert "pull" in r.text
    for name in TABLES:
        assert_table_matches(getattr(r, name), cli / f"{name}.csv")
    assert set(as_records(r.summary)[0]) >= {"policy", "metric", "mean"}
    assert {row["policy"] for row in as_records(r.summary)} == {"pull", "flow"}


def test_without_pandas_tables_are_lists_of_dicts(root, cli_run, monkeypatch):
    monkeypatch.chdir(root)
    monkeypatch.setattr(flowsim, "_pd", None)
    cli = cli_run("run", SMALL, "--reps", "10", "--seed", "3")
    r = flowsim.run(SMALL, reps=10, seed=3)
    for name in TABLES:
        table = getattr(r, name)
        assert isinstance(table, list) and isinstance(table[0], dict)
        assert_table_matches(table, cli / f"{name}.csv")
    reps = [row for row in r.replications if row["policy"] == "push"]
    assert [row["replication"] for row in reps] == list(range(10))


def test_sweep_gives_the_command_lines_bytes(root, cli_run, tmp_path, monkeypatch):
    monkeypatch.chdir(root)
    cli = cli_run("sweep", SMALL, "--vary", "team.developer.count=2,4", "--reps", "10", "--seed", "2")
    s = flowsim.sweep(SMALL, {"team.developer.count": [2, 4]}, reps=10, seed=2, out=tmp_path / "py")
    assert (tmp_path / "py" / "sweep.csv").read_bytes() == (cli / "sweep.csv").read_bytes()
    assert_table_matches(s.sweep, cli / "sweep.csv")
    assert len(s.points) == 2
    for i, point in enumerate(s.points, start=1):
        assert_table_matches(point.summary, cli / "points" / str(i) / "summary.csv")


def test_forecast_gives_the_command_lines_bytes(root, cli_run, tmp_path, monkeypatch):
    monkeypatch.chdir(root)
    args = ["--cards", "30", "--no-arrivals", "--by-weeks", "4", "--reps", "20", "--seed", "9"]
    cli = cli_run("forecast", SMALL, *args)
    f = flowsim.forecast(
        SMALL, cards=30, no_arrivals=True, by_weeks=4, reps=20, seed=9, out=tmp_path / "py"
    )
    for name in ["forecast", "forecast_runs"]:
        assert (tmp_path / "py" / f"{name}.csv").read_bytes() == (cli / f"{name}.csv").read_bytes()
    assert_table_matches(f.forecast, cli / "forecast.csv")
    assert_table_matches(f.runs, cli / "forecast_runs.csv")


def test_bad_input_raises_the_command_lines_message(root, monkeypatch):
    monkeypatch.chdir(root)
    with pytest.raises(flowsim.FlowsimError, match="team.developer.count"):
        flowsim.run(SMALL, reps=5, set={"team.developer.count": -1})
    with pytest.raises(flowsim.FlowsimError):
        flowsim.run("scenarios/no-such-file.toml", reps=5)


def test_cli_runs_any_command(root, monkeypatch):
    monkeypatch.chdir(root)
    text = flowsim.cli("check", SMALL)
    assert "small-team" in text
