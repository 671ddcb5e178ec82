"""The entry point: ``python -m kubectl_sidecar`` and the console scripts (``kubectl-sidecar``,
``kubectl_complete-sidecar``).

Kept tiny on purpose: it imports only ``os`` and ``sys`` before its ``try``, so a Ctrl-C that lands while
the CLI's modules load (the first 50 ms) ends the plugin quietly with 130, as anywhere later, instead of
a traceback. When the command is done it flushes stdout and stderr, runs the ``atexit`` handlers (the
kubernetes client removes its temporary certificate files there) and leaves with ``os._exit``: the
interpreter's teardown frees every object one by one, which cost 36 ms after a check and helps nobody.

A closed stdout (``| head -3``) ends the plugin as it ends kubectl, a Go program: killed by SIGPIPE,
with no message (a shell reports 141). In-process tests call ``cli.main`` or click's runner, which
return or raise ``SystemExit`` as usual; tests in a subprocess (``python -m kubectl_sidecar``) run this.
"""

import os
import sys

EXIT_INTERRUPTED = 130  # what a shell reports after Ctrl-C (128 + SIGINT), as for kubectl
EXIT_BROKEN_PIPE = 141  # what a shell reports for a process killed by SIGPIPE, where there is no SIGPIPE


def main() -> None:
    """``kubectl-sidecar``: run the command line, then leave at once with its exit code."""
    _run_then_leave("run")


def complete() -> None:
    """``kubectl_complete-sidecar``: kubectl's completion protocol, with the same quick, quiet exit."""
    _run_then_leave("complete")


def _run_then_leave(entry: str) -> None:
    broken = False
    try:
        if entry == "run":  # a live timeline's reads start while click loads (early.py)
            from kubectl_sidecar import early

            early.start(sys.argv[1:])
        from kubectl_sidecar import cli

        if entry == "run":
            code = cli.run(sys.argv)
        else:
            cli.complete()  # answers, then exits
            code = 0
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    except BrokenPipeError:  # cli.run lets a closed stdout or stderr through: we end as kubectl does
        code, broken = EXIT_BROKEN_PIPE, True
    except SystemExit as exc:  # the completion answers exit; so does a SystemExit from anywhere
        code = _code_of(exc)
    leave(code, broken=broken)


def _code_of(exc: SystemExit) -> int:
    """The exit code a ``SystemExit`` stands for, as the interpreter would turn it into one."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    try:
        sys.stderr.write(f"{exc.code}\n")
    except (OSError, ValueError, AttributeError):
        pass
    return 1


def leave(code: int, *, broken: bool = False) -> None:
    """Flush stdout and stderr, run the atexit handlers, and exit with ``code`` without the teardown.

    ``broken``: stdout or stderr was found closed (``| head``). Then, or when a flush finds it so, the
    process ends as kubectl does, killed by SIGPIPE, with nothing more written.
    """
    try:
        for stream in (sys.stdout, sys.stderr):
            try:
                if stream is not None and not broken:
                    stream.flush()
            except BrokenPipeError:
                broken = True
            except (OSError, ValueError):  # a closed or unusable stream: nothing more can be said there
                pass
        _run_exit_handlers()
        if broken:
            _die_of_broken_pipe()
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    os._exit(code)


def _die_of_broken_pipe() -> None:
    """End by SIGPIPE, as a Go program (kubectl) does on a write to a closed pipe; returns only without it."""
    import signal

    sigpipe = getattr(signal, "SIGPIPE", None)  # not on Windows: there, exit EXIT_BROKEN_PIPE
    if sigpipe is None:
        return
    signal.signal(sigpipe, signal.SIG_DFL)
    os.kill(os.getpid(), sigpipe)


def _run_exit_handlers() -> None:
    """What the interpreter would run on the way out that matters: ``atexit`` (temporary files, logging)."""
    import atexit

    run = getattr(atexit, "_run_exitfuncs", None)
    if run is not None:
        run()


if __name__ == "__main__":
    main()
