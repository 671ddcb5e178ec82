"""The command line: the click group, ``main``, and THE one place errors become exit codes.

Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 could not inspect (usage, input, config,
access, not found), 3 internal error. Data goes to stdout, notes to stderr. The commands are in
``commands.py``, the option groups in ``options.py``, stdout/stderr/terminal handling in ``terminal.py``.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from kubectl_sidecar import __version__
from kubectl_sidecar.cli.commands import check, completion, demo, explain, timeline, version
from kubectl_sidecar.cli.manifests import lint, migrate
from kubectl_sidecar.cli.terminal import make_progress, silence_broken_pipe
from kubectl_sidecar.errors import EXIT_CANNOT_INSPECT, EXIT_INTERNAL, SidecarError
from kubectl_sidecar.textsafe import terminal_safe

__all__ = ["cli", "complete", "main", "make_progress", "run"]

PROG = "kubectl-sidecar"
# Usage lines name the command as users type it: kubectl runs the plugin with argv[0] its path, so
# `kubectl sidecar` cannot be told from `kubectl-sidecar`, and the documented form wins.
USAGE_NAME = "kubectl sidecar"
COMPLETE_VAR = "_KUBECTL_SIDECAR_COMPLETE"  # click's, as its scripts set it (not derived from USAGE_NAME)
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports kubectl after Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: the real entry point (__main__) dies by SIGPIPE instead, as kubectl


class _PipeClosed(Exception):
    """A ``BrokenPipeError`` carried past click, which would turn it into ``sys.exit(1)``."""


class SidecarGroup(click.Group):
    """A group whose ``main`` turns every failure into one sentence on stderr and an exit code."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            code = self.run_args(args, prog_name=prog_name, complete_var=complete_var, **extra)
        except BrokenPipeError:
            silence_broken_pipe()
            code = EXIT_BROKEN_PIPE
        if not standalone_mode:
            return code
        sys.exit(code)

    def run_args(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        **extra: Any,
    ) -> int:
        """Run one command line and return its exit code; a closed stdout or stderr raises ``BrokenPipeError``."""
        try:
            code = super().main(
                args=args,
                prog_name=prog_name or USAGE_NAME,
                complete_var=complete_var or COMPLETE_VAR,
                standalone_mode=False,
                **extra,
            )
        except click.exceptions.Exit as exc:  # pragma: no cover - click returns these itself
            code = exc.exit_code
        except _PipeClosed:
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE)) from None
        except BrokenPipeError:
            raise
        except click.UsageError as exc:
            show_usage_error(exc)
            code = EXIT_CANNOT_INSPECT
        except click.ClickException as exc:
            click.echo(f"error: {one_line(exc.format_message())}", err=True)
            code = EXIT_CANNOT_INSPECT
        except click.Abort:
            click.echo("Aborted.", err=True)
            code = EXIT_INTERRUPTED
        except SidecarError as exc:
            click.echo(terminal_safe(f"error: {exc}"), err=True)
            code = exc.exit_code
        except KeyboardInterrupt:
            code = EXIT_INTERRUPTED
        except Exception as exc:  # noqa: BLE001 - the last line of defence: no tracebacks for users
            if os.environ.get("KUBECTL_SIDECAR_DEBUG"):
                raise
            click.echo(
                terminal_safe(
                    f"internal error: {type(exc).__name__}: {exc} (this is a bug in kubectl-sidecar; "
                    "rerun with KUBECTL_SIDECAR_DEBUG=1 for a traceback and report it)"
                ),
                err=True,
            )
            code = EXIT_INTERNAL
        return int(code or 0)

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:  # --help and --version write here
            return super().make_context(info_name, args, parent=parent, **extra)
        except BrokenPipeError as exc:
            raise _PipeClosed() from exc

    def invoke(self, ctx: click.Context) -> Any:
        try:  # the commands write here
            return super().invoke(ctx)
        except BrokenPipeError as exc:
            raise _PipeClosed() from exc
        except click.UsageError as exc:
            chosen = ctx.meta.get(_CHOSEN)
            if exc.ctx is None and chosen is not None:  # click's parser leaves it out: name the command
                exc.ctx = click.Context(chosen[1], info_name=chosen[0], parent=ctx)
            raise

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and command is not None:
            ctx.meta[_CHOSEN] = (name, command)
        return name, command, rest


_CHOSEN = "kubectl_sidecar.command"  # ctx.meta: the subcommand chosen, for its usage errors
_NO_ARGS_IS_HELP: tuple[type, ...] = tuple(
    cls for cls in (getattr(click.exceptions, "NoArgsIsHelpError", None),) if cls is not None
)


def one_line(text: str) -> str:
    """Click's message as one terminal-safe line (its "Choose from:" lists span several)."""
    return terminal_safe(" ".join(text.split()))


def show_usage_error(exc: click.UsageError) -> None:
    """A usage error as kubectl prints one: ``error: <sentence>``, then where to read the usage.

    A bare ``kubectl-sidecar`` (click 8.2+ raises a usage error that shows the help) keeps its help.
    """
    if isinstance(exc, _NO_ARGS_IS_HELP):
        exc.show()
        return
    message = one_line(exc.format_message())
    if message[:1].isupper() and message[1:2].islower():  # click's "No such option" -> kubectl's case
        message = message[0].lower() + message[1:]
    path = exc.ctx.command_path.split()[1:] if exc.ctx is not None else []
    command = " ".join(["kubectl sidecar", *path])
    click.echo(f"error: {message}\nSee '{command} --help' for usage.", err=True)


@click.group(cls=SidecarGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name=PROG, message="%(prog)s %(version)s")
def cli() -> None:
    """See when the sidecars and app containers of a pod started and stopped, and what is wrong.

    \b
    Examples:
      kubectl sidecar demo                      # no cluster needed
      kubectl sidecar timeline my-job-x7k2p -n batch
      kubectl get job,pod,events -o json > snap.json
      kubectl sidecar timeline -f snap.json --cluster-version 1.28
      kubectl sidecar explain SC003             # what a finding code means, and its fix
      kubectl sidecar version --client
    """


for _command in (timeline, check, lint, migrate, demo, explain, version, completion):
    cli.add_command(_command)


def run(argv: list[str]) -> int:
    """Run ``argv`` (as ``sys.argv``) and return the exit code; a closed stdout raises ``BrokenPipeError``.

    The console scripts come through ``kubectl_sidecar.__main__``, which leaves quickly and quietly.
    """
    from kubectl_sidecar import shellcomp

    shellcomp.hook(argv, root=cli)  # kubectl_complete-sidecar / __complete: answers and exits
    return cli.run_args(argv[1:], prog_name=USAGE_NAME)


def main() -> None:
    """Run ``sys.argv`` and exit (what older installs' console script calls; now see ``__main__``)."""
    from kubectl_sidecar import shellcomp

    shellcomp.hook(sys.argv, root=cli)  # kubectl_complete-sidecar / __complete: answers and exits
    cli.main(prog_name=USAGE_NAME)


def complete() -> None:
    """Console-script entry point of ``kubectl_complete-sidecar`` (kubectl's completion protocol)."""
    from kubectl_sidecar import shellcomp

    shellcomp.main(sys.argv[1:], root=cli)
