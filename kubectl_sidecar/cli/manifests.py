"""The commands that read manifests rather than a cluster: ``lint`` and ``migrate``. Thin, as the others:
flags in, the library called, stdout written once, the exit code returned."""

from __future__ import annotations

import sys

import click

from kubectl_sidecar.cli.commands import write_file
from kubectl_sidecar.cli.options import fail_on_option, output_file_option, parse_version_flag
from kubectl_sidecar.cli.terminal import emit, isatty
from kubectl_sidecar.errors import UsageError
from kubectl_sidecar.textsafe import terminal_safe

PLATFORM_CHOICES = ("generic", "acs", "eci")
LINT_FORMATS = ("text", "json", "sarif")
MANIFEST_HELP = "A manifest file, a directory of them, or '-' for stdin (JSON or YAML); repeatable."
SIDECAR_HELP = "Treat container NAME as a sidecar (for sidecars no marker or known name reveals); repeatable."


def _version(text: str | None) -> tuple[int, int] | None:
    version = parse_version_flag(text)
    return None if version is None else (version.major, version.minor)


def _need_files(filenames: tuple[str, ...], command: str) -> None:
    if not filenames:
        raise UsageError(
            f"{command} needs the manifests to read: -f FILE, -f DIR (with -R for folders below) or -f -"
        )


@click.command()
@click.option("-f", "--filename", "filenames", multiple=True, metavar="FILE|DIR|-", help=MANIFEST_HELP)
@click.option(
    "-R", "--recursive", is_flag=True, help="Read the directories given with -f and every folder below."
)
@click.option(
    "--cluster-version",
    metavar="X.Y",
    help="The Kubernetes version the manifests are for (default: the newest known, stated in the output).",
)
@click.option(
    "--platform",
    type=click.Choice(PLATFORM_CHOICES),
    default="generic",
    show_default=True,
    help="Where the pods will run: acs or eci (Alibaba Cloud, which honour __IS_SIDECAR__) or generic.",
)
@click.option("--sidecar", "declared", multiple=True, metavar="NAME", help=SIDECAR_HELP)
@fail_on_option
@click.option(
    "-o",
    "--output",
    type=click.Choice(LINT_FORMATS),
    default="text",
    show_default=True,
    help="text (file:line:column CODE severity message), json, or sarif (SARIF 2.1.0, for GitHub code scanning).",
)
@output_file_option
def lint(
    filenames: tuple[str, ...],
    recursive: bool,
    cluster_version: str | None,
    platform: str,
    declared: tuple[str, ...],
    fail_on: str,
    output: str,
    output_file: str | None,
) -> int:
    """Find sidecar mistakes in manifests before they are applied.

    Reads pod templates of Pods, Jobs, CronJobs, Deployments, StatefulSets, DaemonSets and ReplicaSets,
    from files, directories, Lists, several documents, and the output of helm template or kustomize
    build (piped to -f -). Nothing is sent to a cluster. Codes and fixes: docs/lint/.

    Exit codes: 0 when no finding reaches --fail-on, 1 when one does, 2 when the input cannot be read.

    \b
    Examples:
      kubectl sidecar lint -f job.yaml
      kubectl sidecar lint -f manifests/ -R --cluster-version 1.28 --platform acs
      helm template my-release ./chart | kubectl sidecar lint -f -
      kubectl sidecar lint -f k8s/ -R -o sarif --output-file sidecar.sarif
    """
    from kubectl_sidecar.lint import run_lint
    from kubectl_sidecar.lint.report import render

    _need_files(filenames, "lint")
    report = run_lint(
        filenames,
        recursive=recursive,
        version=_version(cluster_version),
        platform=platform,
        declared=declared,
        fail_on=fail_on,
    )
    text = render(report, output)
    if output_file:
        write_file(output_file, text)
    else:
        emit(text)
    return report.exit_code


@click.command()
@click.option("-f", "--filename", "filenames", multiple=True, metavar="FILE|DIR|-", help=MANIFEST_HELP)
@click.option(
    "-R", "--recursive", is_flag=True, help="Read the directories given with -f and every folder below."
)
@click.option(
    "--sidecar",
    "declared",
    multiple=True,
    metavar="NAME",
    help="Also move regular container NAME (one no marker names); repeatable.",
)
@click.option(
    "--position",
    type=click.Choice(("last", "first")),
    default="last",
    show_default=True,
    help="Where the moved sidecars go among existing init containers: last (after them, where a legacy "
    "sidecar started) or first (before them, for a proxy the other init containers need).",
)
@click.option(
    "--cluster-version",
    metavar="X.Y",
    help="The Kubernetes version the manifests are for: native sidecars need 1.29 or later.",
)
@click.option(
    "--in-place", is_flag=True, help="Rewrite the files (each whole, atomically) instead of printing a diff."
)
@click.option(
    "-o",
    "--output",
    type=click.Choice(("diff", "yaml")),
    default="diff",
    show_default=True,
    help="diff (a unified diff of the change) or yaml (the rewritten manifests).",
)
def migrate(
    filenames: tuple[str, ...],
    recursive: bool,
    declared: tuple[str, ...],
    position: str,
    cluster_version: str | None,
    in_place: bool,
    output: str,
) -> int:
    """Move legacy sidecars to native ones: initContainers with restartPolicy: Always.

    Each container marked __IS_SIDECAR__ (and each one named with --sidecar) moves into initContainers
    with restartPolicy: Always, without its marker. Every other line is kept as it is: comments, key
    order, quoting, indentation, and every document without a legacy sidecar. Prints a unified diff by
    default; --in-place rewrites the files. See docs/migrate.md.

    \b
    Examples:
      kubectl sidecar migrate -f job.yaml
      kubectl sidecar migrate -f k8s/ -R --in-place
      kubectl sidecar migrate -f job.yaml --sidecar fluent-bit -o yaml | kubectl apply -f -
      helm template my-release ./chart | kubectl sidecar migrate -f - -o yaml
    """
    from kubectl_sidecar.cli.terminal import note
    from kubectl_sidecar.migrate import run_migrate

    _need_files(filenames, "migrate")
    if in_place and "-" in filenames:
        raise UsageError("--in-place cannot rewrite stdin: use -o yaml and redirect the output")
    result = run_migrate(
        filenames,
        recursive=recursive,
        declared=declared,
        position=position,
        version=_version(cluster_version),
    )
    if in_place:
        for file in result.files:
            if file.changed:
                replace_file(file.source.name, file.text)
    else:
        text = result.yaml() if output == "yaml" else result.diff()
        if isatty(sys.stdout):  # the files' own text, on a terminal: through the one sanitiser
            text = "\n".join(terminal_safe(line) for line in text.split("\n"))
        emit(text)  # piped, exact: a patch to apply, or the YAML itself
    for moved in result.moved:
        note(
            f"{moved.source}:{moved.line}: {moved.object}: moved {moved.container} to initContainers ({position}), restartPolicy: Always"
        )
    if not result.moved:
        note("nothing to migrate: no container is marked __IS_SIDECAR__ or named with --sidecar")
    return 0


def replace_file(path: str, text: str) -> None:
    """Write ``text`` over ``path`` whole: a temporary file beside it, its mode copied, then renamed."""
    import os
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o7777
        handle, temporary = tempfile.mkstemp(prefix=".kubectl-sidecar-", dir=folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)
            os.chmod(temporary, mode)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        raise UsageError(f'cannot rewrite "{path}": {error.strerror or error}') from None
