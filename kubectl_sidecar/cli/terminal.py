"""The terminal side of the CLI: stdout written once, notes and progress on stderr, terminal facts."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TextIO

import click

from kubectl_sidecar.textsafe import terminal_safe

PROGRESS_MIN_PODS = 20  # below this a check is quick: no progress indicator


def isatty(stream: Any) -> bool:
    """Is ``stream`` a terminal (``False`` for anything that cannot say)?"""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def terminal_width(is_tty: bool) -> int:
    """``COLUMNS`` if set, the terminal's width on a terminal, else 80; never below 40."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return max(int(columns), 40)
    if is_tty:
        try:  # os's, not shutil's: shutil imports bz2, lzma and more, and COLUMNS was read above
            return max(os.get_terminal_size(sys.stdout.fileno()).columns, 40)
        except (OSError, ValueError, AttributeError):
            return 80
    return 80


def emit(text: str) -> None:
    """Write a complete result to stdout at once."""
    click.echo(text, nl=False, color=True)  # we decided on colour already; click would strip it


def note(text: str) -> None:
    """One note on stderr, made terminal-safe: notes name pods, containers and kinds from the input."""
    click.echo(f"note: {terminal_safe(text)}", err=True)


def make_progress(stream: TextIO, minimum: int = PROGRESS_MIN_PODS) -> Callable[[int, int], None] | None:
    """A ``progress(done, total)`` that redraws one stderr line on a terminal; ``None`` elsewhere."""
    if not isatty(stream):
        return None

    def progress(done: int, total: int) -> None:
        if total < minimum:
            return
        stream.write(f"\rchecking pods: {done}/{total}" if done < total else "\r\x1b[K")
        stream.flush()

    return progress


def make_reading(stream: TextIO) -> Callable[[bool], None] | None:
    """A ``reading(active)`` that shows "reading the cluster..." on a terminal while reads run."""
    if not isatty(stream):
        return None

    def reading(active: bool) -> None:
        stream.write("reading the cluster..." if active else "\r\x1b[K")
        stream.flush()

    return reading


def stderr() -> TextIO:
    """The current stderr (click's test runner replaces ``sys.stderr``)."""
    return sys.stderr


def silence_broken_pipe() -> None:
    """After a closed pipe (``| head``), point stdout at devnull so interpreter shutdown stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
