"""`kubectl sidecar lint`: each rule on a minimal manifest (exact sets of codes, with a near miss for each),
positions from the YAML source, the kinds that hold pod templates, and the seed example."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from kubectl_sidecar.errors import InputError
from kubectl_sidecar.lint import LATEST, LintContext, lint_sources, run_lint
from kubectl_sidecar.lint.commands import sigterm_problem
from kubectl_sidecar.lint.sources import parse_source

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "data" / "seed"
LINT = ROOT / "tests" / "data" / "lint"

APP = {"name": "app", "image": "registry.example.com/app:1.0"}
SHIPPER = {"name": "shipper", "image": "registry.example.com/tools/agent:2"}


def job(containers: str, init: str = "", extra: str = "", kind: str = "Job") -> str:
    """A Job (or another workload) whose pod spec holds these container blocks (YAML, 6 spaces in)."""
    init_block = f"      initContainers:\n{init}" if init else ""
    return (
        f"apiVersion: batch/v1\nkind: {kind}\nmetadata:\n  name: j\nspec:\n  template:\n    spec:\n"
        f"{init_block}      containers:\n{containers}{extra}      restartPolicy: Never\n"
    )


def c(name: str, image: str = "registry.example.com/app:1.0", body: str = "") -> str:
    text = f"      - name: {name}\n        image: {image}\n"
    return text + textwrap.indent(textwrap.dedent(body), " " * 8) if body else text


ACS_MARK = 'env:\n- name: __IS_SIDECAR__\n  value: "true"\n'
TAIL = "command: ['sh', '-c', 'touch /x && tail -F /x']\n"


def lint_text(text: str, version=LATEST, platform="generic", declared=()):
    context = LintContext(version=version, platform=platform, declared=frozenset(declared))
    return lint_sources([parse_source("m.yaml", text)], context)


def codes(text: str, **kw) -> list[str]:
    return sorted(f.code for f in lint_text(text, **kw).findings)


CASES = [
    # SL001: __IS_SIDECAR__ where it does not work
    (
        "acs marker, generic platform",
        job(c("app") + c("log", body=ACS_MARK)),
        {},
        ["SL001", "SL004", "SL006"],
    ),
    (
        "acs marker, ACS 1.30",
        job(c("log", body=ACS_MARK) + c("app")),
        {"version": (1, 30), "platform": "acs"},
        ["SL001"],
    ),
    (
        "near miss: acs marker, ACS 1.28",
        job(c("log", body=ACS_MARK) + c("app")),
        {"version": (1, 28), "platform": "acs"},
        [],
    ),
    (
        "near miss: acs marker, ECI 1.28",
        job(c("log", body=ACS_MARK) + c("app")),
        {"version": (1, 28), "platform": "eci"},
        [],
    ),
    # SL002: a native sidecar for an old cluster
    (
        "native on 1.28",
        job(c("app"), init=c("log", body="restartPolicy: Always\n")),
        {"version": (1, 28)},
        ["SL002"],
    ),
    (
        "native on 1.27",
        job(c("app"), init=c("log", body="restartPolicy: Always\n")),
        {"version": (1, 27)},
        ["SL002"],
    ),
    (
        "near miss: native on 1.29",
        job(c("app"), init=c("log", body="restartPolicy: Always\n")),
        {"version": (1, 29)},
        [],
    ),
    # SL003: restartPolicy where it is refused
    ("restartPolicy on a regular container", job(c("app", body="restartPolicy: Always\n")), {}, ["SL003"]),
    (
        "init restartPolicy Never",
        job(c("app"), init=c("setup", body="restartPolicy: Never\n")),
        {},
        ["SL003"],
    ),
    ("near miss: plain init container", job(c("app"), init=c("setup")), {}, []),
    # SL004: a Job that never completes
    (
        "known sidecar in a Job",
        job(c("fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.1.9") + c("app")),
        {},
        ["SL004"],
    ),
    (
        "--sidecar names it",
        job(c("app") + c("shipper", SHIPPER["image"])),
        {"declared": ["shipper"]},
        ["SL004", "SL006"],
    ),
    ("near miss: same container unnamed", job(c("app") + c("shipper", SHIPPER["image"])), {}, []),
    (
        "near miss: known sidecar in a Deployment",
        job(c("fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.1.9") + c("app"), kind="Deployment"),
        {},
        [],
    ),
    (
        "near miss: mesh proxy the app stops",
        job(
            c("istio-proxy", "docker.io/istio/proxyv2:1.22.0")
            + c("app", body="command: ['sh', '-c', 'run; curl -X POST localhost:15020/quitquitquit']\n")
        ),
        {},
        [],
    ),
    (
        "a log file both use is no stop signal",
        job(
            c("app", body="command: ['sh', '-c', 'run > /var/log/app.log']\n")
            + c(
                "fluent-bit",
                "cr.fluentbit.io/fluent/fluent-bit:3.1.9",
                "command: ['sh', '-c', 'tail -F /var/log/app.log']\n",
            )
        ),
        {},
        ["SL004", "SL005", "SL006"],
    ),
    (
        "near miss: the sidecar waits for a file the app writes",
        job(
            c("app", body="command: ['sh', '-c', 'run; touch /tmp/pod/done']\n")
            + c(
                "fluent-bit",
                "cr.fluentbit.io/fluent/fluent-bit:3.1.9",
                "command: ['sh', '-c', 'fluent-bit & until [ -f /tmp/pod/done ]; do sleep 1; done']\n",
            )
        ),
        {},
        ["SL005", "SL006"],
    ),
    (
        "mesh proxy nothing stops",
        job(c("istio-proxy", "docker.io/istio/proxyv2:1.22.0") + c("app")),
        {},
        ["SL004"],
    ),
    (
        "kruise marker is honoured",
        job(
            c("log", body="env:\n- name: KRUISE_TERMINATE_SIDECAR_WHEN_JOB_EXIT\n  value: 'true'\n")
            + c("app")
        ),
        {},
        [],
    ),
    # SL005: SIGTERM
    (
        "native sidecar with tail -F",
        job(c("app"), init=c("log", body="restartPolicy: Always\n" + TAIL)),
        {},
        ["SL005"],
    ),
    (
        "near miss: the same script traps TERM",
        job(
            c("app"),
            init=c(
                "log",
                body="restartPolicy: Always\ncommand: ['sh', '-c', \"trap 'exit 0' TERM; tail -F /x & wait\"]\n",
            ),
        ),
        {},
        [],
    ),
    ("near miss: an app with tail -F", job(c("app", body=TAIL)), {}, []),
    (
        "near miss: shared process namespace",
        job(
            c("app"),
            init=c("log", body="restartPolicy: Always\n" + TAIL),
            extra="      shareProcessNamespace: true\n",
        ),
        {},
        [],
    ),
    # SL006: legacy sidecar after the app
    (
        "kruise sidecar after the app",
        job(
            c("app")
            + c("log", body="env:\n- name: KRUISE_TERMINATE_SIDECAR_WHEN_JOB_EXIT\n  value: 'true'\n")
        ),
        {},
        ["SL006"],
    ),
    (
        "near miss: kruise sidecar first",
        job(
            c("log", body="env:\n- name: KRUISE_TERMINATE_SIDECAR_WHEN_JOB_EXIT\n  value: 'true'\n")
            + c("app")
        ),
        {},
        [],
    ),
    (
        "near miss: ACS sidecar after the app on ACS 1.28",
        job(c("app") + c("log", body=ACS_MARK)),
        {"version": (1, 28), "platform": "acs"},
        [],
    ),
    # SL007: marker value
    (
        "marker value True",
        job(c("log", body="env:\n- name: __IS_SIDECAR__\n  value: 'True'\n") + c("app")),
        {"version": (1, 28), "platform": "acs"},
        ["SL004", "SL007"],
    ),
    # SL008: conflicting markers
    (
        "two markers",
        job(
            c(
                "log",
                body='env:\n- name: __IS_SIDECAR__\n  value: "true"\n- name: KRUISE_TERMINATE_SIDECAR_WHEN_JOB_EXIT\n  value: "true"\n',
            )
            + c("app")
        ),
        {"version": (1, 28), "platform": "acs"},
        ["SL008"],
    ),
    (
        "legacy marker on a native sidecar",
        job(c("app"), init=c("log", body="restartPolicy: Always\n" + ACS_MARK)),
        {},
        ["SL008"],
    ),
    # SL009: a native proxy without a probe
    (
        "native proxy, no probe",
        job(
            c("app"),
            init=c(
                "cloud-sql-proxy",
                "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11.0",
                "restartPolicy: Always\n",
            ),
        ),
        {},
        ["SL009"],
    ),
    (
        "native sidecar serving a port",
        job(c("app"), init=c("agent", body="restartPolicy: Always\nports:\n- containerPort: 8200\n")),
        {},
        ["SL009"],
    ),
    (
        "near miss: native proxy with a startupProbe",
        job(
            c("app"),
            init=c(
                "cloud-sql-proxy",
                "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11.0",
                "restartPolicy: Always\nstartupProbe:\n  tcpSocket: {port: 5432}\n",
            ),
        ),
        {},
        [],
    ),
    ("near miss: native log shipper", job(c("app"), init=c("log", body="restartPolicy: Always\n")), {}, []),
    # SL010: grace period shorter than the drain
    (
        "preStop sleep longer than the grace period",
        job(
            c("app"),
            init=c(
                "envoy",
                "envoyproxy/envoy:v1.31.0",
                "restartPolicy: Always\nstartupProbe: {tcpSocket: {port: 9901}}\nlifecycle:\n  preStop:\n    exec:\n      command: ['sleep', '45']\n",
            ),
            extra="      terminationGracePeriodSeconds: 30\n",
        ),
        {},
        ["SL010"],
    ),
    (
        "cloud-sql-proxy max-sigterm-delay over the default grace",
        job(
            c("app"),
            init=c(
                "cloud-sql-proxy",
                "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11.0",
                "restartPolicy: Always\nstartupProbe: {tcpSocket: {port: 5432}}\nargs: ['--max-sigterm-delay=60s', 'p:r:i']\n",
            ),
        ),
        {},
        ["SL010"],
    ),
    (
        "near miss: grace period above the drain",
        job(
            c("app"),
            init=c(
                "cloud-sql-proxy",
                "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11.0",
                "restartPolicy: Always\nstartupProbe: {tcpSocket: {port: 5432}}\nargs: ['--max-sigterm-delay=60s', 'p:r:i']\n",
            ),
            extra="      terminationGracePeriodSeconds: 90\n",
        ),
        {},
        [],
    ),
]


@pytest.mark.parametrize("text, kw, expected", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_rules(text, kw, expected):
    assert codes(text, **kw) == expected


# ------------------------------------------------------------------------------------------ positions


def test_positions_point_at_the_line_and_column_of_the_source():
    text = (SEED / "acs-optimized-job.yaml").read_text()
    report = lint_text(text, version=(1, 30), platform="acs")
    found = {(f.code, f.line, f.column) for f in report.findings}
    lines = text.splitlines()
    # SL001 at the env entry of the marker, SL005 at the command
    assert ("SL001", 20, 11) in found and lines[19][10:] == "name: __IS_SIDECAR__"
    assert ("SL005", 18, 18) in found and lines[17][17:].startswith("['sh', '-c'")


@pytest.mark.parametrize(
    "kind, spec_path_lines",
    [
        ("Pod", None),
        ("Job", None),
        ("CronJob", None),
        ("Deployment", None),
        ("StatefulSet", None),
        ("DaemonSet", None),
        ("ReplicaSet", None),
    ],
)
def test_every_workload_kind_is_read(kind, spec_path_lines):
    spec = "containers:\n- name: app\n  image: a\n  restartPolicy: Always\n"
    if kind == "Pod":
        body = spec
    elif kind == "CronJob":
        body = "schedule: '@daily'\njobTemplate:\n  spec:\n    template:\n      spec:\n" + textwrap.indent(
            spec, " " * 8
        )
    else:
        body = "template:\n  spec:\n" + textwrap.indent(spec, " " * 4)
    text = f"apiVersion: v1\nkind: {kind}\nmetadata:\n  name: w\nspec:\n" + textwrap.indent(body, "  ")
    report = lint_text(text)
    assert [(f.code, f.object) for f in report.findings] == [("SL003", f"{kind}/w")]
    line = text.splitlines()[report.findings[0].line - 1]
    assert line.strip() == "restartPolicy: Always"


def test_lists_json_and_several_documents_are_read():
    bad = '{"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "restartPolicy": "Always"}]}}'
    listed = f'{{"kind": "List", "items": [{bad}, {bad.replace(chr(34) + "p" + chr(34), chr(34) + "q" + chr(34))}]}}'
    report = lint_text(listed)
    assert [f.object for f in report.findings] == ["Pod/p", "Pod/q"]
    first = listed.index('"restartPolicy"')
    second = listed.index('"restartPolicy"', first + 1)
    assert [(f.line, f.column) for f in report.findings] == [(1, first + 1), (1, second + 1)]
    several = "---\n" + job(c("app")) + "---\n# a comment\n" + job(c("app", body="restartPolicy: Always\n"))
    report = lint_text(several)
    assert [(f.code, f.line) for f in report.findings] == [
        ("SL003", several.splitlines().index("        restartPolicy: Always") + 1)
    ]


def test_a_controllers_pod_repeats_nothing_its_controller_says():
    bad = job(c("app", body="restartPolicy: Always\n"))
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: j-x2k9p\n  ownerReferences:\n"
        "  - {kind: Job, name: j, controller: true}\nspec:\n  restartPolicy: Never\n  containers:\n"
        "  - name: app\n    image: a\n    restartPolicy: Always\n  - name: istio-proxy\n    image: proxyv2\n"
    )
    both = lint_text(bad + "---\n" + pod)
    assert both.templates == 2
    assert [(f.code, f.object) for f in both.findings] == [("SL003", "Job/j"), ("SL004", "Pod/j-x2k9p")]
    alone = lint_text(pod)
    assert sorted((f.code, f.object) for f in alone.findings) == [
        ("SL003", "Pod/j-x2k9p"),
        ("SL004", "Pod/j-x2k9p"),
    ]


# ------------------------------------------------------------------------------------------ the seed


def test_the_acs_seed_is_flagged_for_a_1_29_cluster_and_the_native_one_is_not():
    acs = run_lint([str(SEED / "acs-optimized-job.yaml")], version=(1, 29), platform="acs")
    native = run_lint([str(SEED / "native-job.yaml")], version=(1, 29), platform="acs")
    assert sorted(f.code for f in acs.findings) == ["SL001", "SL005"]
    assert sorted(f.code for f in native.findings) == ["SL005"]
    old = run_lint([str(SEED / "acs-optimized-job.yaml")], version=(1, 28), platform="acs")
    assert sorted(f.code for f in old.findings) == ["SL005"]


def test_the_default_version_is_the_newest_and_is_said_to_be_assumed():
    report = run_lint([str(SEED / "native-job.yaml")])
    assert report.context.version == LATEST and not report.version_given


# ------------------------------------------------------------------------------------------ SIGTERM


@pytest.mark.parametrize(
    "command, args, problem",
    [
        (["sh", "-c", "touch /var/logs.txt && tail -F /var/logs.txt"], None, "tail -f"),
        (["/bin/bash", "-c", "while true; do sleep 5; done"], None, "a loop"),
        (["sh", "-c"], ["sleep infinity"], "sleep"),
        (["sh", "-c", "exec tail -F /x"], None, "execs tail"),
        (["sleep", "infinity"], None, "sleep runs as PID 1"),
        (["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"], None, None),
        (["sh", "-c", "cp /cfg /etc/x && exec fluent-bit -c /etc/x"], None, None),
        (["sh", "-c", "echo hello"], None, None),
        (["fluent-bit", "-c", "/x"], None, None),
        (None, None, None),
    ],
    ids=[
        "tail-F",
        "loop",
        "script-in-args",
        "exec-tail",
        "sleep-pid1",
        "trap",
        "exec-program",
        "short",
        "program",
        "entrypoint",
    ],
)
def test_sigterm_problem(command, args, problem):
    found = sigterm_problem(command, args)
    assert (found is None) == (problem is None)
    if problem:
        assert problem in found


# ------------------------------------------------------------------------------------------ input


def test_a_helm_template_is_refused_in_one_sentence():
    text = 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ .Release.Name }}\n  labels:\n    {{- include "x" . | nindent 4 }}\n'
    with pytest.raises(InputError, match="templating language.*helm template"):
        parse_source("templates/job.yaml", text)


@pytest.mark.parametrize(
    "text, said",
    [
        (
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\x1b[0m\n",
            "control character YAML does not allow (#x001b) at line 4",
        ),
        ("apiVersion: v1\nkind: Pod\nspec: [\n", "is not valid YAML at line 4"),
        ("n: " + "9" * 5000 + "\n", "number too long to read"),
    ],
)
def test_text_that_is_not_yaml_is_one_sentence_never_an_internal_error(text, said):
    """The reader checks every character when the loader is made: that too is an InputError."""
    with pytest.raises(InputError, match=re.escape(said)) as raised:
        parse_source("pod.yaml", text)
    assert "\n" not in str(raised.value)


def test_a_directory_needs_manifests(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="no .yaml"):
        run_lint([str(tmp_path)])


def test_directories_are_read_with_r_only_below(tmp_path):
    (tmp_path / "a.yaml").write_text(job(c("app")))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yml").write_text(job(c("app", body="restartPolicy: Always\n")))
    assert run_lint([str(tmp_path)]).files == 1
    report = run_lint([str(tmp_path)], recursive=True)
    assert report.files == 2 and [f.source for f in report.findings] == [str(tmp_path / "sub" / "b.yml")]


@pytest.mark.parametrize("name", ["alias-bomb.yaml", "deep-yaml.yaml", "recursive-alias.yaml"])
def test_hostile_yaml_is_refused(name):
    path = ROOT / "tests" / "corpus" / "files" / name
    with pytest.raises(InputError):
        run_lint([str(path)])
