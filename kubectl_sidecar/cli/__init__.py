"""The command line: the click group, ``main``, and THE one place errors become exit codes.

Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 could not inspect (usage, input, config,
access, not found), 3 internal error. Data goes to stdout, notes to stderr. The commands are in
``commands.py``, the option groups in ``options.py``, stdout/stderr/terminal handling in ``terminal.py``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from kubectl_sidecar import __version__
from kubectl_sidecar.cli.commands import check, completion, demo, timeline
from kubectl_sidecar.cli.terminal import make_progress, silence_broken_pipe
from kubectl_sidecar.errors import EXIT_CANNOT_INSPECT, EXIT_INTERNAL, SidecarError

__all__ = ["cli", "complete", "main", "make_progress"]

PROG = "kubectl-sidecar"
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


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
            code = super().main(
                args=args,
                prog_name=prog_name or PROG,
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except click.exceptions.Exit as exc:  # pragma: no cover - click returns these itself
            code = exc.exit_code
        except click.ClickException as exc:  # usage errors included
            exc.show()
            code = EXIT_CANNOT_INSPECT
        except click.Abort:
            click.echo("Aborted.", err=True)
            code = 130
        except SidecarError as exc:
            click.echo(f"error: {exc}", err=True)
            code = exc.exit_code
        except KeyboardInterrupt:
            code = 130
        except BrokenPipeError:
            silence_broken_pipe()
            code = 0
        except Exception as exc:  # noqa: BLE001 - the last line of defence: no tracebacks for users
            if os.environ.get("KUBECTL_SIDECAR_DEBUG"):
                raise
            click.echo(
                f"internal error: {type(exc).__name__}: {exc} (this is a bug in kubectl-sidecar; "
                "rerun with KUBECTL_SIDECAR_DEBUG=1 for a traceback and report it)",
                err=True,
            )
            code = EXIT_INTERNAL
        if not standalone_mode:
            return code
        sys.exit(code or 0)


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
    """


for _command in (timeline, check, demo, completion):
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point (``kubectl-sidecar``; kubectl finds it as ``kubectl sidecar``)."""
    from kubectl_sidecar import shellcomp

    shellcomp.hook(sys.argv, root=cli)  # kubectl_complete-sidecar / __complete: answers and exits
    cli.main(prog_name=PROG)


def complete() -> None:
    """Console-script entry point of ``kubectl_complete-sidecar`` (kubectl's completion protocol)."""
    from kubectl_sidecar import shellcomp

    shellcomp.main(sys.argv[1:], root=cli)
