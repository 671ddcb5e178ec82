"""Output that fits the terminal (issue 17): at 60 columns and wider every line of `demo` fits; at 40 the
lines still read (at most 60 wide) and nothing is lost; in a pipe without COLUMNS the table keeps each
mark on one line, as kubectl's tables do."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from kubectl_sidecar.cli import cli


def tables(text: str) -> list[str]:
    """The marks tables of the output: from each TIME header to the blank line after it."""
    return re.findall(r"^TIME .*?(?=\n\n|\Z)", text, re.MULTILINE | re.DOTALL)


def demo(columns: int | None, *args: str) -> str:
    env = {"COLUMNS": str(columns)} if columns else {"COLUMNS": ""}
    result = CliRunner().invoke(cli, ["demo", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("columns", [60, 80, 200])
@pytest.mark.parametrize("args", [(), ("--ascii",)], ids=["table", "ascii"])
def test_every_line_fits(columns, args):
    """The default output (-o wide shows messages, fixes and URLs whole, as kubectl -o wide does)."""
    text = demo(columns, *args)
    assert [line for line in text.splitlines() if len(line) > columns] == []


def test_at_40_columns_lines_still_read_and_nothing_is_lost():
    narrow, whole = demo(40), demo(None)
    assert max(len(line) for line in narrow.splitlines()) <= 60
    assert len(tables(narrow)) == len(tables(whole)) == 4
    for a, b in zip(tables(narrow), tables(whole)):  # every word of every mark is still there
        assert sorted(a.split()) == sorted(word for word in b.split() if word != "DETAIL")


def test_in_a_pipe_a_mark_stays_on_one_line():
    text = demo(None, "acs-forced-exit")
    assert any(
        line.startswith("+55s") and "exit 0 (Completed), forced; original exit 137 (Error)" in line
        for line in text.splitlines()
    )
