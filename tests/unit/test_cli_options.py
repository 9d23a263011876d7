"""The `wellbeing` command line: --home anywhere, help on every option, hints that work on a fresh clone."""
from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from pipelines.cli import _parser, closing_hints
from pipelines.settings import Home


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_option_of_every_command_has_help():
    parser = _parser()
    for name, sub in {"": parser, **subcommands(parser)}.items():
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help and action.help != argparse.SUPPRESS, f"wellbeing {name} {action.option_strings}"


@pytest.mark.parametrize("argv", [["--home", "/x/h", "status"], ["status", "--home", "/x/h"],
                                  ["demo", "--scale", "tiny", "--home", "/x/h"]])
def test_home_is_accepted_before_or_after_the_command(argv):
    assert _parser().parse_args(argv).home == "/x/h"


def test_closing_hints_name_the_venvs_own_executables(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no duckdb CLI, no wellbeing on the PATH
    hints = closing_hints(Home(tmp_path / "home"))
    assert all("wellbeing" in h and "/" in h.split()[0] for h in hints[:2])
    assert Path(hints[0].split()[0].strip("'")).name == "wellbeing"
    assert "import duckdb" in hints[2] and "read_only=True" in hints[2]


def test_the_installed_command_runs_main_and_leaves_its_objects_to_the_operating_system(tmp_path, monkeypatch):
    import gc
    from importlib.metadata import entry_points

    import pipelines.cli

    [script] = [e for e in entry_points(group="console_scripts") if e.name == "wellbeing"]
    assert script.load() is pipelines.cli.command
    monkeypatch.setattr("sys.argv", ["wellbeing", "--home", str(tmp_path / "home"), "status"])
    frozen = gc.get_freeze_count()
    try:
        assert pipelines.cli.command() == pipelines.cli.main()
        assert gc.get_freeze_count() > frozen  # the exiting process skips its last collection
    finally:
        gc.unfreeze()
