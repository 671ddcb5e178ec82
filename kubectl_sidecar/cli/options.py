"""Option groups as decorators: flags in, options objects (KubeOptions, RenderOptions) out."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from kubectl_sidecar.cli.terminal import isatty, terminal_width
from kubectl_sidecar.errors import UsageError
from kubectl_sidecar.options import TIMELINE_FORMATS, KubeOptions, RenderOptions, parse_request_timeout

if TYPE_CHECKING:  # the model loads when a command runs: --help stays quick
    from kubectl_sidecar.model import ClusterVersion

COLOUR_CHOICES = ("auto", "always", "never")

F = TypeVar("F", bound=Callable[..., Any])


def _apply(func: Callable[..., Any], decorators: list[Callable[[Any], Any]]) -> Callable[..., Any]:
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def kube_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """kubectl's connection flags (cli-runtime), with kubectl's names and meaning -> ``kube=KubeOptions``."""
    func = _apply(
        func,
        [
            click.option("--kubeconfig", metavar="PATH", help="Path to the kubeconfig file to use."),
            click.option("--context", metavar="NAME", help="The name of the kubeconfig context to use."),
            click.option("--cluster", metavar="NAME", help="The name of the kubeconfig cluster to use."),
            click.option("--user", metavar="NAME", help="The name of the kubeconfig user to use."),
            click.option(
                "-n",
                "--namespace",
                metavar="NS",
                help="The namespace; defaults to the context's, then 'default'. With -f: pick the pod's namespace.",
            ),
            click.option(
                "--request-timeout",
                metavar="DURATION",
                default="0",
                show_default=True,
                help="Give each request this long, its whole answer included (5s, 1m, 1m30s); default and 0: 60s.",
            ),
            click.option(
                "--as", "as_user", metavar="USER", help="Username to impersonate for the operation."
            ),
            click.option(
                "--as-group",
                "as_groups",
                metavar="GROUP",
                multiple=True,
                help="Group to impersonate; repeat for several.",
            ),
            click.option(
                "-s", "--server", metavar="URL", help="The address and port of the Kubernetes API server."
            ),
            click.option(
                "--token", metavar="TOKEN", help="Bearer token for authentication to the API server."
            ),
            click.option("--certificate-authority", metavar="PATH", help="Path to a CA certificate file."),
            click.option(
                "--insecure-skip-tls-verify",
                is_flag=True,
                default=False,
                help="Do not check the server's certificate (insecure).",
            ),
        ],
    )

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["kube"] = KubeOptions(
            kubeconfig=kwargs.pop("kubeconfig"),
            context=kwargs.pop("context"),
            cluster=kwargs.pop("cluster"),
            user=kwargs.pop("user"),
            namespace=kwargs.pop("namespace"),
            all_namespaces=bool(kwargs.pop("all_namespaces", False)),
            request_timeout=parse_request_timeout(kwargs.pop("request_timeout")),
            as_user=kwargs.pop("as_user"),
            as_groups=tuple(kwargs.pop("as_groups")),
            server=kwargs.pop("server"),
            token=kwargs.pop("token"),
            certificate_authority=kwargs.pop("certificate_authority"),
            insecure_skip_tls_verify=kwargs.pop("insecure_skip_tls_verify"),
        )
        return func(*args, **kwargs)

    return wrapper


def render_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Output flags shared by the commands that draw a timeline -> ``render=RenderOptions``."""
    func = _apply(
        func,
        [
            click.option(
                "-o",
                "--output",
                type=click.Choice(TIMELINE_FORMATS),
                default="table",
                show_default=True,
                help="table (with a Gantt chart), wide (adds sources and messages), json or yaml; "
                "pictures to share: svg, html (chart, findings and marks in one file), mermaid (a gantt "
                "block for Markdown) or trace (Chrome trace JSON for Perfetto).",
            ),
            output_file_option,
            click.option(
                "--absolute-time",
                is_flag=True,
                help="Wall-clock times in the local zone, as kubectl describe prints them, instead of offsets.",
            ),
            click.option("--utc", is_flag=True, help="Wall-clock times in UTC."),
            click.option("--chart/--no-chart", default=True, show_default=True, help="Draw the Gantt chart."),
            click.option("--ascii", "ascii_only", is_flag=True, help="Draw with ASCII only."),
            colour_option("Colour the chart: auto means only on a terminal. NO_COLOR always turns it off."),
        ],
    )

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["render"] = make_render_options(
            output=kwargs.pop("output"),
            absolute_time=kwargs.pop("absolute_time"),
            utc=kwargs.pop("utc"),
            chart=kwargs.pop("chart"),
            ascii_only=kwargs.pop("ascii_only"),
            colour=kwargs.pop("colour"),
        )
        return func(*args, **kwargs)

    return wrapper


FAIL_ON = ("info", "warning", "error")
fail_on_option = click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="error",
    show_default=True,
    help="Exit 1 when a finding of this severity or higher is found.",
)  # check and lint: the same severities and exit codes

output_file_option = click.option(
    "--output-file",
    metavar="FILE",
    help="Write the output to FILE (whole, once complete) instead of stdout.",
)


def colour_option(help_text: str) -> Callable[[F], F]:
    """``--color auto|always|never`` (kubectl's spelling), read as ``colour``; ``help_text`` says what is coloured."""
    return click.option(
        "--color",
        "colour",
        type=click.Choice(COLOUR_CHOICES),
        default="auto",
        show_default=True,
        help=help_text,
    )


def cluster_version_option(func: F) -> F:
    """``--cluster-version X.Y``: the server version that files lack (parse it with parse_version_flag)."""
    return click.option(
        "--cluster-version",
        metavar="X.Y",
        help="The server version that files lack (e.g. 1.28 or v1.28.15-aliyun.1).",
    )(func)


def parse_version_flag(text: str | None) -> ClusterVersion | None:
    """``--cluster-version`` -> ClusterVersion (``None`` when not given); a usage error when unreadable."""
    if text is None:
        return None
    from kubectl_sidecar.model import parse_cluster_version

    version = parse_cluster_version(text)
    if version is None:
        raise UsageError(
            f'invalid --cluster-version "{text}": use a version such as 1.29 or v1.28.15-aliyun.1'
        )
    return version


def make_render_options(
    *,
    output: str,
    absolute_time: bool,
    utc: bool,
    chart: bool,
    ascii_only: bool,
    colour: str,
    stream: Any = None,
) -> RenderOptions:
    """Decide width, colour and glyphs from the flags and the terminal we write to."""
    import sys

    stream = stream or sys.stdout
    is_tty = isatty(stream)
    no_colour = bool(os.environ.get("NO_COLOR"))
    use_colour = not no_colour and (colour == "always" or (colour == "auto" and is_tty))
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    return RenderOptions(
        output=output,
        absolute_time=absolute_time,
        utc=utc,
        chart=chart,
        width=terminal_width(is_tty),
        fit=is_tty or os.environ.get("COLUMNS", "").strip().isdigit(),
        colour=use_colour,
        ascii_only=ascii_only or (encoding not in ("utf8", "") and not encoding.startswith("utf")),
    )
