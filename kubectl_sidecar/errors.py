"""Small exceptions that carry their data and say themselves in one sentence.

The CLI maps them to exit codes: every :class:`SidecarError` means "could not inspect" (exit 2);
anything else that escapes is an internal error (exit 3).
"""

from __future__ import annotations

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_CANNOT_INSPECT = 2
EXIT_INTERNAL = 3


class SidecarError(Exception):
    """Base class: the command could not inspect its target. ``str()`` is the sentence for stderr."""

    exit_code = EXIT_CANNOT_INSPECT


class UsageError(SidecarError):
    """The flags or arguments do not make sense together."""


class InputError(SidecarError):
    """A file given with ``-f`` could not be read or holds nothing usable."""

    def __init__(self, source: str, problem: str):
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class NotFoundError(SidecarError):
    """The named object does not exist where we looked."""

    def __init__(self, kind: str, name: str, namespace: str | None = None, where: str = ""):
        self.kind = kind
        self.name = name
        self.namespace = namespace
        ns = f' in namespace "{namespace}"' if namespace else ""
        suffix = f" {where}" if where else ""
        super().__init__(f'{kind} "{name}" not found{ns}{suffix}')


class ConfigError(SidecarError):
    """The kubeconfig (or the flags that override it) cannot be used."""


class ApiError(SidecarError):
    """The API server answered with an error, or could not be reached.

    ``detail`` is the server's own words (a 403's message), for notes that already say the rest.
    ``fatal``: the server broke the protocol (a bomb, an endless line, JSON too deep): asking again
    cannot help, so a watch gives up at once.
    """

    def __init__(
        self,
        message: str,
        status: int | None = None,
        verb: str = "",
        resource: str = "",
        detail: str = "",
        fatal: bool = False,
    ) -> None:
        self.status = status
        self.fatal = fatal
        self.verb = verb
        self.resource = resource
        self.detail = detail
        super().__init__(message)
