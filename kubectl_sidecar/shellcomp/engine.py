"""The completion engine: the words typed so far and the root click command -> candidates and a directive.

It reads the click command tree it is given (never imports the CLI), so the same engine answers
kubectl's protocol and click's shell scripts.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from kubectl_sidecar.record import record
from kubectl_sidecar.shellcomp import sources

SHELLS = ("bash", "zsh", "fish")

# cobra's ShellCompDirective bits
DIRECTIVE_DEFAULT = 0  # the shell may complete file names
DIRECTIVE_ERROR = 1
DIRECTIVE_NO_SPACE = 2
DIRECTIVE_NO_FILE = 4

# Options whose values are paths: the shell completes file names.
FILE_OPTIONS = frozenset({"kubeconfig", "filenames", "certificate_authority"})
# kubeconfig sections whose names complete the option of the same name.
KUBECONFIG_OPTIONS = {"context": "contexts", "cluster": "clusters", "user": "users"}
_POD_PREFIXES = ("pod/", "pods/", "po/")
_JOB_PREFIXES = ("job/", "jobs/", "job.batch/", "jobs.batch/")
SHORT_HELP_LIMIT = 60


@record
class Result:
    """Candidates ``(value, description)`` and cobra's directive.

    ``flag_prefix`` is the ``--flag=`` the word being completed starts with: cobra's scripts (and so
    kubectl's) put it back themselves, click's zsh and fish scripts need it in each value.
    """

    items: list = field(default_factory=list)
    directive: int = DIRECTIVE_NO_FILE
    flag_prefix: str = ""


def complete(words: list[str], root: Any) -> Result:
    """Complete the last of ``words`` (the words after ``kubectl sidecar``; the last may be ``""``).

    ``root`` is the click group of the command line.
    """
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


def _complete_command(command: Any, done: list[str], incomplete: str, root: Any = None) -> Result:
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
            pending = _short_flags(word, by_flag, values, used)
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


def _short_flags(word: str, by_flag: dict, values: dict, used: set) -> _Opt | None:
    """Read ``-abc``; returns the option still waiting for its value in the next word, if any."""
    for pos in range(1, len(word)):
        opt = by_flag.get("-" + word[pos])
        if opt is None:
            break
        used.add(opt.name)
        if opt.takes_value:
            if word[pos + 1 :]:
                values.setdefault(opt.name, []).append(word[pos + 1 :])
                return None
            return opt
        values[opt.name] = [True]
    return None


def _complete_argument(command: Any, position: int, incomplete: str, values: dict) -> Result:
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    if position >= len(arguments) and not (arguments and arguments[-1].nargs == -1):
        return Result()  # every argument is given
    name = command.name
    if name == "completion":
        return Result(_prefixed(SHELLS, incomplete))
    if name == "demo":
        from kubectl_sidecar import demo

        return Result(_prefixed(demo.names(), incomplete))
    if name == "explain":
        from kubectl_sidecar.checks.catalogue import CODES

        return Result([(c.code, c.title) for c in CODES.values() if c.code.startswith(incomplete.upper())])
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
                kind, prefix = candidate_kind, incomplete[: len(known)]
    if name == "timeline" and kind != "pod":
        return Result()
    typed = incomplete[len(prefix) :]
    names = sources.list_names(values, kind)
    return Result([(prefix + n, "") for n in names if n.startswith(typed)])


def _complete_value(opt: _Opt, incomplete: str, values: dict, flag_prefix: str) -> Result:
    if opt.name in FILE_OPTIONS:
        return Result(directive=DIRECTIVE_DEFAULT, flag_prefix=flag_prefix)
    if opt.choices:
        return Result(_prefixed(opt.choices, incomplete), flag_prefix=flag_prefix)
    section = KUBECONFIG_OPTIONS.get(opt.name)
    if section:
        names = sources.kubeconfig_names(section, sources.last(values, "kubeconfig"))
        return Result(_prefixed(names, incomplete), flag_prefix=flag_prefix)
    if opt.name == "namespace":  # as kubectl: the namespaces of the cluster the typed flags select
        return Result(_prefixed(sources.list_names(values, "namespace"), incomplete), flag_prefix=flag_prefix)
    return Result(flag_prefix=flag_prefix)


def _prefixed(names: Any, incomplete: str) -> list:
    return [(n, "") for n in names if n.startswith(incomplete)]


# ------------------------------------------------------------------------------------------- click model


@record
class _Opt:
    name: str
    flags: tuple  # every spelling: -o, --output; --chart, --no-chart
    takes_value: bool
    multiple: bool
    choices: tuple
    help: str
    off_flags: tuple = ()  # --no-chart


def _options(command: Any, root: Any = None) -> list[_Opt]:
    import click

    found = []
    for param in command.params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        takes_value = not param.is_flag and not param.count
        choices = tuple(param.type.choices) if isinstance(param.type, click.Choice) else ()
        secondary = tuple(param.secondary_opts)
        found.append(
            _Opt(
                name=str(param.name),
                flags=tuple(param.opts) + secondary,
                takes_value=takes_value,
                multiple=bool(param.multiple),
                choices=tuple(str(c) for c in choices),
                help=_short(param.help or ""),
                off_flags=secondary,
            )
        )
    settings = dict(getattr(root, "context_settings", None) or {})
    settings.update(command.context_settings or {})
    ctx = click.Context(
        command, info_name=command.name, help_option_names=settings.get("help_option_names", ["--help"])
    )
    help_option = command.get_help_option(ctx)
    if help_option is not None:
        found.append(
            _Opt(
                name="help",
                flags=tuple(help_option.opts),
                takes_value=False,
                multiple=False,
                choices=(),
                help="Show the help and exit.",
            )
        )
    return found


def _option_candidates(options: list[_Opt], incomplete: str, used: set) -> list:
    out = []
    for opt in options:
        if opt.name in used and not opt.multiple:
            continue
        for flag in opt.flags:
            if flag.startswith("--") or not incomplete.startswith("--"):
                if flag.startswith(incomplete):
                    out.append((flag, opt.help))
    return out


def _command_candidates(root: Any, incomplete: str) -> list:
    out = []
    for name in sorted(root.commands):
        command = root.commands[name]
        if not getattr(command, "hidden", False) and name.startswith(incomplete):
            out.append((name, command.get_short_help_str(limit=SHORT_HELP_LIMIT)))
    return out


def _short(text: str) -> str:
    """An option's help cut as click cuts a command's short help (first sentence, or ``...``)."""
    import click

    # click's public way to make a short help (make_default_short_help is deprecated)
    return click.Command(None, help=" ".join(text.split())).get_short_help_str(limit=SHORT_HELP_LIMIT)
