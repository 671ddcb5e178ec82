"""Read a container's command for what it does with SIGTERM, without running anything.

In a container the first process is PID 1, and the kernel does not apply a signal's default action to
PID 1: a process that installs no handler for SIGTERM (a shell, ``tail``, ``sleep``) ignores it and is
killed by SIGKILL when the grace period ends (exit 137; the seed's ACS example).
"""

from __future__ import annotations

import re

from kubectl_sidecar.raw import as_list

SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh"})
# Programs with no SIGTERM handler of their own.
NO_HANDLER = frozenset({"tail", "sleep", "cat"})
_LONG_RUNNING = (
    (re.compile(r"\btail\b[^;&|\n]*\s(-\w*[fF]\b|--follow)"), "tail -f"),
    (re.compile(r"\bsleep\s+(infinity|inf\b|\d{4,})"), "sleep"),
    (re.compile(r"\b(while|until)\b[^\n]*?\bdo\b", re.S), "a loop"),
    (re.compile(r"\bfor\b[^\n]*?\bdo\b", re.S), "a loop"),
)
_EXEC = re.compile(r"(?:^|[;&|\n(]\s*)exec\s+([^\s;&|]+)")


def _argv(command: object, args: object) -> list[str]:
    return [str(w) for w in [*as_list(command), *as_list(args)] if isinstance(w, (str, int, float))]


def sigterm_problem(command: object, args: object) -> str | None:
    """Why this command (as PID 1) cannot handle SIGTERM, in a few words; ``None`` when it may."""
    argv = _argv(command, args)
    if not argv:
        return None  # the image's entrypoint: nothing to read
    program = argv[0].rsplit("/", 1)[-1]
    if program in NO_HANDLER:
        return f"{program} runs as PID 1 and has no SIGTERM handler"
    if program not in SHELLS or "-c" not in argv[1:]:
        return None
    position = argv.index("-c", 1)
    if position + 1 >= len(argv):
        return None
    script = argv[position + 1]
    if re.search(r"\btrap\b", script):
        return None
    running = next((label for pattern, label in _LONG_RUNNING if pattern.search(script)), None)
    if running is None:
        return None
    execs = [m.group(1).rsplit("/", 1)[-1] for m in _EXEC.finditer(script)]
    if execs and execs[-1] not in NO_HANDLER:
        return None  # exec hands PID 1 to a program that may handle SIGTERM
    shell = program
    if execs:
        return f"the shell execs {execs[-1]}, which runs as PID 1 with no SIGTERM handler"
    return f"{shell} -c runs as PID 1 with no trap and runs {running}, so SIGTERM is ignored"
