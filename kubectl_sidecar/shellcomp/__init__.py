"""Shell completion: one engine, two ways in.

- kubectl 1.26+ completes ``kubectl sidecar <TAB>`` by running ``kubectl_complete-sidecar ARGS...`` from
  PATH, with the words typed after ``sidecar`` and the word being completed last (``""`` for a new
  word). It reads one candidate per line (``value`` or ``value<TAB>description``) and an optional last
  line ``:<directive>``, cobra's ShellCompDirective bits (1 error, 2 no space, 4 no file completion,
  8 file extension filter, 16 directories only, 32 keep order; 0 lets the shell complete file names).
  Cobra programs are called as ``PROG __complete ARGS...``: that form is accepted too, so the same
  executable can be tested, or called by other tools, either way. See
  kubernetes staging/src/k8s.io/kubectl/pkg/cmd/plugin/plugin_completion.go.
- ``kubectl sidecar completion bash|zsh|fish`` prints click's script for the ``kubectl-sidecar``
  command itself; click then calls ``kubectl-sidecar`` with ``_KUBECTL_SIDECAR_COMPLETE`` set, and the
  shell classes below answer with the same engine.

The ``kubectl_complete-sidecar`` executable is any of: the console script pip installs (``main``), a
link to ``kubectl-sidecar`` under that name (the krew zipapp), or the script at the top of the
repository, which runs ``kubectl-sidecar __complete ARGS...``. ``hook`` in ``cli.main`` sends those
runs here before click parses anything.

Completion must be quick and quiet: it never writes to stderr (the process's stderr is pointed at
``/dev/null``), never fails (no candidates and a directive instead), imports ``kubernetes`` only to
list pod or Job names, and gives the cluster ``COMPLETION_TIMEOUT`` seconds at most.
"""
from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field

PROG = "kubectl-sidecar"
COMPLETE_VAR = "_KUBECTL_SIDECAR_COMPLETE"
COMPLETE_EXECUTABLE = "kubectl_complete-sidecar"
REQUEST_COMMANDS = ("__complete", "__completeNoDesc")
SHELLS = ("bash", "zsh", "fish")
DEBUG_VAR = "KUBECTL_SIDECAR_DEBUG"  # set: completion keeps stderr (tracebacks of the engine)

# cobra's ShellCompDirective bits
DIRECTIVE_DEFAULT = 0  # the shell may complete file names
DIRECTIVE_ERROR = 1
DIRECTIVE_NO_SPACE = 2
DIRECTIVE_NO_FILE = 4

COMPLETION_TIMEOUT = 5.0  # seconds for the cluster to answer; a shorter --request-timeout wins
GRACE = 1.0  # on top of the timeout: loading the kubeconfig, credential plugins, retries

# Options whose values are paths: the shell completes file names.
FILE_OPTIONS = frozenset({"kubeconfig", "filenames", "certificate_authority"})
# kubeconfig sections whose names complete the option of the same name.
KUBECONFIG_OPTIONS = {"context": "contexts", "cluster": "clusters", "user": "users"}
# The connection options that matter for listing names, by click parameter name.
_KUBE_PARAMS = ("kubeconfig", "context", "cluster", "user", "namespace", "as_user", "server", "token",
                "certificate_authority")
_POD_PREFIXES = ("pod/", "pods/", "po/")
_JOB_PREFIXES = ("job/", "jobs/", "job.batch/", "jobs.batch/")


@dataclass
class Result:
    """Candidates ``(value, description)`` and cobra's directive.

    ``flag_prefix`` is the ``--flag=`` the word being completed starts with: cobra's scripts (and so
    kubectl's) put it back themselves, click's zsh and fish scripts need it in each value.
    """

    items: list = field(default_factory=list)
    directive: int = DIRECTIVE_NO_FILE
    flag_prefix: str = ""


# ------------------------------------------------------------------------------------------- engine

def complete(words: list, root=None) -> Result:
    """Complete the last of ``words`` (the words after ``kubectl sidecar``; the last may be ``""``)."""
    if root is None:
        from kubectl_sidecar.cli import cli as root
    words = list(words) or [""]
    done, incomplete = words[:-1], words[-1]
    command = None
    index = 0
    while index < len(done):  # the group takes no option with a value: skip its flags
        if not done[index].startswith("-"):
            command = root.commands.get(done[index])
            if command is None or getattr(command, "hidden", False):
                return Result()
            index += 1
            break
        index += 1
    if command is None:
        if incomplete.startswith("-"):
            return Result(_option_candidates(_options(root, root), incomplete, set()))
        return Result(_command_candidates(root, incomplete))
    return _complete_command(command, done[index:], incomplete, root)


def _complete_command(command, done: list, incomplete: str, root=None) -> Result:
    options = _options(command, root)
    by_flag = {flag: opt for opt in options for flag in opt.flags}
    values: dict = {}
    used: set = set()
    positionals: list = []
    pending = None  # an option still waiting for its value
    dashdash = False
    for word in done:
        if pending is not None:
            values.setdefault(pending.name, []).append(word)
            pending = None
        elif dashdash or word == "-" or not word.startswith("-"):
            positionals.append(word)
        elif word == "--":
            dashdash = True
        elif word.startswith("--"):
            name, eq, value = word.partition("=")
            opt = by_flag.get(name)
            if opt is None:
                continue
            used.add(opt.name)
            if opt.takes_value:
                if eq:
                    values.setdefault(opt.name, []).append(value)
                else:
                    pending = opt
            else:
                values[opt.name] = [name not in opt.off_flags]
        else:  # -abc: flags, up to one that takes a value (the rest of the word, or the next word)
            for pos in range(1, len(word)):
                opt = by_flag.get("-" + word[pos])
                if opt is None:
                    break
                used.add(opt.name)
                if opt.takes_value:
                    if word[pos + 1:]:
                        values.setdefault(opt.name, []).append(word[pos + 1:])
                    else:
                        pending = opt
                    break
                values[opt.name] = [True]
    if pending is not None:  # `-o <TAB>`
        return _complete_value(pending, incomplete, values, "")
    if not dashdash and incomplete.startswith("--") and "=" in incomplete:
        name, _, value = incomplete.partition("=")
        opt = by_flag.get(name)
        if opt is None or not opt.takes_value:
            return Result()
        return _complete_value(opt, value, values, name + "=")
    if not dashdash and incomplete.startswith("-"):
        if len(incomplete) > 2 and not incomplete.startswith("--"):
            opt = by_flag.get(incomplete[:2])  # -ojs: the value of -o, attached: complete the whole word
            if opt is not None and opt.takes_value:
                result = _complete_value(opt, incomplete[2:], values, "")
                result.items = [(incomplete[:2] + value, help_) for value, help_ in result.items]
                return result
        return Result(_option_candidates(options, incomplete, used))
    return _complete_argument(command, len(positionals), incomplete, values)


def _complete_argument(command, position: int, incomplete: str, values: dict) -> Result:
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    if position >= len(arguments) and not (arguments and arguments[-1].nargs == -1):
        return Result()  # every argument is given
    name = command.name
    if name == "completion":
        return Result(_prefixed(SHELLS, incomplete))
    if name == "demo":
        return Result(_prefixed(_demo_names(), incomplete))
    if name not in ("timeline", "check") or position > 0:
        return Result()
    if values.get("filenames") or values.get("all_namespaces") or values.get("selector"):
        return Result()  # names come from the files; -A and -l take no TARGET
    lowered = incomplete.lower()
    kind = "pod" if name == "timeline" else "job"
    prefix = ""
    for candidate_kind, prefixes in (("pod", _POD_PREFIXES), ("job", _JOB_PREFIXES)):
        for known in prefixes:
            if lowered.startswith(known):
                kind, prefix = candidate_kind, incomplete[:len(known)]
    if name == "timeline" and kind != "pod":
        return Result()
    typed = incomplete[len(prefix):]
    names = list_names(values, kind)
    return Result([(prefix + n, "") for n in names if n.startswith(typed)])


def _complete_value(opt, incomplete: str, values: dict, flag_prefix: str) -> Result:
    if opt.name in FILE_OPTIONS:
        return Result(directive=DIRECTIVE_DEFAULT, flag_prefix=flag_prefix)
    if opt.choices:
        return Result(_prefixed(opt.choices, incomplete), flag_prefix=flag_prefix)
    section = KUBECONFIG_OPTIONS.get(opt.name)
    if section:
        return Result(_prefixed(kubeconfig_names(section, _last(values, "kubeconfig")), incomplete),
                      flag_prefix=flag_prefix)
    return Result(flag_prefix=flag_prefix)


def _prefixed(names, incomplete: str) -> list:
    return [(n, "") for n in names if n.startswith(incomplete)]


def _last(values: dict, name: str):
    got = values.get(name)
    return got[-1] if got else None


# ------------------------------------------------------------------------------------------- click model

@dataclass
class _Opt:
    name: str
    flags: tuple  # every spelling: -o, --output; --chart, --no-chart
    takes_value: bool
    multiple: bool
    choices: tuple
    help: str
    off_flags: tuple = ()  # --no-chart


def _options(command, root=None) -> list:
    import click

    found = []
    for param in command.params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        takes_value = not param.is_flag and not param.count
        choices = tuple(param.type.choices) if isinstance(param.type, click.Choice) else ()
        secondary = tuple(param.secondary_opts)
        found.append(_Opt(name=param.name, flags=tuple(param.opts) + secondary, takes_value=takes_value,
                          multiple=bool(param.multiple), choices=tuple(str(c) for c in choices),
                          help=_short(param.help or ""), off_flags=secondary))
    settings = dict(getattr(root, "context_settings", None) or {})
    settings.update(command.context_settings or {})
    ctx = click.Context(command, info_name=command.name,
                        help_option_names=settings.get("help_option_names", ["--help"]))
    help_option = command.get_help_option(ctx)
    if help_option is not None:
        found.append(_Opt(name="help", flags=tuple(help_option.opts), takes_value=False, multiple=False,
                          choices=(), help="Show the help and exit."))
    return found


def _option_candidates(options: list, incomplete: str, used: set) -> list:
    out = []
    for opt in options:
        if opt.name in used and not opt.multiple:
            continue
        for flag in opt.flags:
            if flag.startswith("--") or not incomplete.startswith("--"):
                if flag.startswith(incomplete):
                    out.append((flag, opt.help))
    return out


def _command_candidates(root, incomplete: str) -> list:
    out = []
    for name in sorted(root.commands):
        command = root.commands[name]
        if not getattr(command, "hidden", False) and name.startswith(incomplete):
            out.append((name, command.get_short_help_str(limit=60)))
    return out


def _short(text: str) -> str:
    from click.utils import make_default_short_help

    return make_default_short_help(" ".join(text.split()), 60)


def _demo_names() -> list:
    try:
        from importlib import resources

        import yaml

        text = resources.files("kubectl_sidecar").joinpath("demo/index.yaml").read_text("utf-8")
        index = yaml.safe_load(text)
        return [str(s["name"]) for s in index]
    except Exception:  # noqa: BLE001 - completion never fails
        return []


# ------------------------------------------------------------------------------------------- sources

def kubeconfig_names(section: str, kubeconfig=None, environ=None) -> list:
    """Names in one section (contexts, clusters, users) of the kubeconfig kubectl would read.

    ``--kubeconfig`` if typed, else every file of ``KUBECONFIG``, else ``~/.kube/config``. Never
    contacts a server; unreadable files are skipped.
    """
    environ = os.environ if environ is None else environ
    if kubeconfig:
        paths = [os.path.expanduser(kubeconfig)]
    elif environ.get("KUBECONFIG"):
        paths = [os.path.expanduser(p) for p in environ["KUBECONFIG"].split(os.pathsep) if p]
    else:
        home = environ.get("HOME") or os.path.expanduser("~")
        paths = [os.path.join(home, ".kube", "config")]
    names: dict = {}
    for path in paths:
        try:
            import yaml

            with open(path, encoding="utf-8") as handle:
                doc = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            for entry in doc.get(section) or []:
                if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                    names.setdefault(entry["name"], None)
        except Exception:  # noqa: BLE001 - a broken file lists nothing
            continue
    return sorted(names)


def kube_options(values: dict, timeout: float = COMPLETION_TIMEOUT):
    """The connection flags typed so far, as KubeOptions, with a request timeout of at most ``timeout``."""
    from kubectl_sidecar.options import KubeOptions, parse_request_timeout

    given = {name: _last(values, name) for name in _KUBE_PARAMS}
    try:
        typed = parse_request_timeout(_last(values, "request_timeout"))
    except Exception:  # noqa: BLE001 - a half-typed duration
        typed = None
    return KubeOptions(**given, as_groups=tuple(values.get("as_groups") or ()),
                       insecure_skip_tls_verify=bool(_last(values, "insecure_skip_tls_verify")),
                       request_timeout=min(typed, timeout) if typed else timeout)


def list_names(values: dict, kind: str, timeout: float = COMPLETION_TIMEOUT) -> list:
    """Pod or Job names of the namespace the typed flags select; ``[]`` on any failure or after the timeout.

    The request runs in a daemon thread, so a server that does not answer, retries or a slow credential
    plugin cannot hold the shell longer than ``timeout`` plus a second.
    """
    try:
        opts = kube_options(values, timeout)
    except Exception:  # noqa: BLE001
        return []
    found: list = []

    def work():
        try:
            from kubectl_sidecar import kube

            found.extend(kube.list_names(opts, kind))
        except BaseException:  # noqa: BLE001 - completion never fails
            if os.environ.get(DEBUG_VAR):
                import traceback

                traceback.print_exc()

    thread = threading.Thread(target=work, name="kubectl-sidecar-complete", daemon=True)
    thread.start()
    thread.join(opts.request_timeout + GRACE)
    return list(found) if not thread.is_alive() else []


# ------------------------------------------------------------------------------------------- kubectl protocol

def format_cobra(result: Result, descriptions: bool = True) -> str:
    """Cobra's ``__complete`` output: a candidate per line, then ``:<directive>``."""
    lines = []
    for value, help_ in result.items:
        value = _one_line(value)
        help_ = _one_line(help_)
        lines.append(f"{value}\t{help_}" if help_ and descriptions else value)
    lines.append(f":{result.directive}")
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(str(text).replace("\t", " ").split("\n")[0].split())


def run_cobra(args: list) -> str:
    """The whole ``kubectl_complete-sidecar ARGS...`` answer; never raises."""
    descriptions = True
    while args and args[0] in REQUEST_COMMANDS:  # the script at the top of the repo adds one
        descriptions = descriptions and args[0] == "__complete"
        args = args[1:]
    try:
        result = complete(args)
    except Exception:
        if os.environ.get(DEBUG_VAR):
            raise
        result = Result()
    return format_cobra(result, descriptions)


def main(argv=None) -> None:
    """Entry point of ``kubectl_complete-sidecar`` (also reached through ``hook``); does not return."""
    args = list(sys.argv[1:] if argv is None else argv)
    _quiet()
    out = run_cobra(args)  # raises only with KUBECTL_SIDECAR_DEBUG set
    try:
        sys.stdout.write(out)
        sys.stdout.flush()
    except Exception:  # noqa: BLE001 - a closed pipe
        pass
    os._exit(0)  # no waiting for a request thread still blocked on the network


def _quiet() -> None:
    """Point this process's stderr (and its children's) at /dev/null, unless debugging."""
    if os.environ.get(DEBUG_VAR):
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except (OSError, ValueError):
        pass
    try:
        import warnings

        warnings.simplefilter("ignore")
    except Exception:  # noqa: BLE001
        pass


def wanted(argv: list) -> bool:
    """Is this run a completion request in kubectl's (cobra's) protocol?"""
    base = (argv[0] if argv else "").replace("\\", "/").rsplit("/", 1)[-1].lower()  # also a Windows path
    for suffix in (".exe", ".pyz", ".py"):
        base = base.removesuffix(suffix)
    return base.startswith("kubectl_complete-") or (len(argv) > 1 and argv[1] in REQUEST_COMMANDS)


def hook(argv=None) -> None:
    """Called first by ``cli.main``: answer kubectl's completion requests, set up click's shells.

    Returns only when click should go on (a normal run, or click's own completion protocol).
    """
    argv = list(sys.argv if argv is None else argv)
    if wanted(argv):
        main(argv[1:])
    if os.environ.get(COMPLETE_VAR):
        import click.shell_completion as sc

        _quiet()
        for shell in SHELLS:
            sc.add_completion_class(_click_class(shell), shell)


# ------------------------------------------------------------------------------------------- click shells

_CLASSES: dict = {}


def _click_class(shell: str):
    """click's completion class for ``shell``, answering with this module's engine."""
    if shell in _CLASSES:
        return _CLASSES[shell]
    import click.shell_completion as sc

    base = {"bash": sc.BashComplete, "zsh": sc.ZshComplete, "fish": sc.FishComplete}[shell]

    def get_completions(self, args, incomplete):
        words = list(args)
        if shell == "bash":  # bash splits `--context=pro` into `--context`, `=`, `pro`
            if incomplete == "=" and words and words[-1].startswith("-"):
                incomplete = ""
            words = [w for i, w in enumerate(words) if not (w == "=" and i and words[i - 1].startswith("-"))]
        try:
            result = complete(words + [incomplete], root=self.cli)
        except Exception:
            if os.environ.get(DEBUG_VAR):
                raise
            return []
        prefix = "" if shell == "bash" else result.flag_prefix
        items = [sc.CompletionItem(prefix + value, help=help_ or None) for value, help_ in result.items]
        if not items and result.directive == DIRECTIVE_DEFAULT:
            value = incomplete[len(result.flag_prefix):] if shell == "fish" else incomplete
            items = [sc.CompletionItem(value, type="file")]
        return items

    cls = type(f"Sidecar{base.__name__}", (base,), {"get_completions": get_completions, "name": shell})
    _CLASSES[shell] = cls
    return cls


def script(shell: str) -> str:
    """The completion script for ``kubectl-sidecar`` in ``shell`` (bash, zsh or fish)."""
    from kubectl_sidecar.cli import cli

    cls = _click_class(shell)
    return cls(cli, {}, PROG, COMPLETE_VAR).source()
