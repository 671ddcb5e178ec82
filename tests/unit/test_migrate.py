"""`kubectl sidecar migrate`: legacy sidecars moved to native ones by an edit of the user's text. The seed
migrates to exactly the seed's native Job; every other byte is kept; the position is the user's choice;
what cannot be migrated safely is refused in one sentence; migrated output lints clean of order findings."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kubectl_sidecar.errors import InputError, UsageError
from kubectl_sidecar.lint import LATEST, LintContext, lint_sources
from kubectl_sidecar.lint.sources import parse_source
from kubectl_sidecar.migrate import migrate_sources, run_migrate

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "data" / "seed"
LINT = ROOT / "tests" / "data" / "lint"


def migrate_text(text: str, name: str = "m.yaml", **kw) -> str:
    result = migrate_sources([parse_source(name, text)], **kw)
    return result.files[0].text


def without_first_line(text: str) -> str:
    return text.split("\n", 1)[1]


def test_the_acs_seed_migrates_to_exactly_the_native_seed():
    migrated = run_migrate([str(SEED / "acs-optimized-job.yaml")]).files[0].text
    native = (SEED / "native-job.yaml").read_text()
    assert without_first_line(migrated) == without_first_line(native)  # the first line is each file's comment


def test_the_native_seed_has_nothing_to_migrate():
    result = run_migrate([str(SEED / "native-job.yaml")])
    assert (
        not result.moved
        and result.files[0].text == (SEED / "native-job.yaml").read_text()
        and result.diff() == ""
    )


MULTI = """\
# leading comment, kept
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}   # flow style, untouched
data:
  key: 'single quoted'
---
apiVersion: batch/v1
kind: Job
metadata:
  name: export   # the export job
spec:
  template:
    spec:
      # the containers
      containers:
      - name: export
        image: "registry.example.com/export:1"   # quoted
        env: [{name: MODE, value: full}]
      # the log shipper, marked for ACS
      - name: shipper
        image: registry.example.com/agent:2
        env:
        - name: LEVEL
          value: info
        - name: __IS_SIDECAR__
          value: "true"
        args:
        - --flush=1s
      restartPolicy: Never
---
apiVersion: v1
kind: Service
metadata:
  name: untouched
spec: {ports: [{port: 80}]}
"""


def test_every_line_it_does_not_move_keeps_its_bytes():
    migrated = migrate_text(MULTI)
    old_lines = MULTI.splitlines()
    moved = {
        "      # the log shipper, marked for ACS",
        "      - name: shipper",
        "        image: registry.example.com/agent:2",
        "        env:",
        "        - name: LEVEL",
        "          value: info",
        "        - name: __IS_SIDECAR__",
        '          value: "true"',
        "        args:",
        "        - --flush=1s",
    }
    kept = [line for line in old_lines if line not in moved]
    new_lines = migrated.splitlines()
    # the lines that stay appear in the same order, byte for byte
    it = iter(new_lines)
    assert all(any(line == candidate for candidate in it) for line in kept)
    # the first and last documents are identical
    assert migrated.split("---\n")[0] == MULTI.split("---\n")[0]
    assert migrated.split("---\n")[2] == MULTI.split("---\n")[2]
    block = migrated[migrated.index("      initContainers:") : migrated.index("      # the containers")]
    assert block == textwrap.indent(
        textwrap.dedent(
            """\
            initContainers:
            # the log shipper, marked for ACS
            - name: shipper
              image: registry.example.com/agent:2
              env:
              - name: LEVEL
                value: info
              args:
              - --flush=1s
              restartPolicy: Always
            """
        ),
        " " * 6,
    )


def test_crlf_line_endings_are_kept():
    text = (SEED / "acs-optimized-job.yaml").read_text().replace("\n", "\r\n")
    migrated = migrate_text(text)
    assert "\n" not in migrated.replace("\r\n", "") and "        restartPolicy: Always\r\n" in migrated


WITH_INIT = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: j
spec:
  template:
    spec:
      initContainers:
        - name: migrate-db
          image: registry.example.com/migrate:1
      containers:
        - name: app
          image: registry.example.com/app:1
        - name: mesh
          image: registry.example.com/proxy:1
          env:
            - {name: __IS_SIDECAR__, value: "true"}
      restartPolicy: Never
"""


@pytest.mark.parametrize(
    "position, order", [("last", ["migrate-db", "mesh"]), ("first", ["mesh", "migrate-db"])]
)
def test_position_among_existing_init_containers(position, order):
    import yaml

    migrated = migrate_text(WITH_INIT, position=position)
    spec = yaml.safe_load(migrated)["spec"]["template"]["spec"]
    assert [c["name"] for c in spec["initContainers"]] == order
    assert [c["name"] for c in spec["containers"]] == ["app"]
    mesh = next(c for c in spec["initContainers"] if c["name"] == "mesh")
    assert mesh == {"name": "mesh", "image": "registry.example.com/proxy:1", "restartPolicy": "Always"}
    assert "        - name: mesh\n" in migrated  # the list's own indentation


def test_sidecar_flag_moves_an_unmarked_container_and_lint_then_finds_no_order_problem():
    source = LINT / "corpus" / "cloudsql-job-file-signal.yaml"
    result = run_migrate([str(source)], declared=["cloud-sql-proxy"])
    context = LintContext(version=LATEST, declared=frozenset(["cloud-sql-proxy"]))
    before = lint_sources([parse_source("x", source.read_text())], context)
    after = lint_sources([parse_source("x", result.files[0].text)], context)
    assert "SL006" in {f.code for f in before.findings}
    assert not {"SL004", "SL006"} & {f.code for f in after.findings}


@pytest.mark.parametrize(
    "path, platform",
    [
        (SEED / "acs-optimized-job.yaml", "acs"),
        (LINT / "helm-rendered.yaml", "generic"),
        (LINT / "corpus" / "acs-eci-job.yaml", "generic"),
    ],
)
def test_migrated_output_has_no_legacy_or_order_finding(path, platform):
    migrated = run_migrate([str(path)]).yaml()
    report = lint_sources([parse_source("x", migrated)], LintContext(version=(1, 29), platform=platform))
    assert not {"SL001", "SL004", "SL006", "SL007", "SL008"} & {f.code for f in report.findings}


REFUSALS = [
    (
        "too old",
        (SEED / "acs-optimized-job.yaml").read_text(),
        {"version": (1, 28)},
        UsageError,
        "1.29 or later",
    ),
    (
        "name clash",
        WITH_INIT.replace("name: migrate-db", "name: mesh"),
        {},
        InputError,
        "an init container is named mesh already",
    ),
    (
        "no app left",
        WITH_INIT.replace("name: app", "name: app2\n          env: [{name: __IS_SIDECAR__, value: 'true'}]"),
        {},
        InputError,
        "no app container",
    ),
    (
        "flow style containers",
        '{"kind": "Job", "metadata": {"name": "j"}, "spec": {"template": {"spec": {"containers": [{"name": "a"}, '
        '{"name": "s", "env": [{"name": "__IS_SIDECAR__", "value": "true"}]}]}}}}',
        {},
        InputError,
        "flow style",
    ),
    (
        "templated",
        (SEED / "acs-optimized-job.yaml")
        .read_text()
        .replace("name: test\n", 'name: "{{ .Release.Name }}"\n', 1),
        {},
        InputError,
        "templating language",
    ),
    (
        "restartPolicy Never",
        WITH_INIT.replace("image: registry.example.com/proxy:1", "image: p\n          restartPolicy: Never"),
        {},
        InputError,
        "restartPolicy Never",
    ),
    (
        "unknown --sidecar",
        (SEED / "native-job.yaml").read_text(),
        {"declared": ["nope"]},
        UsageError,
        "--sidecar nope",
    ),
]


@pytest.mark.parametrize("text, kw, error, fragment", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_refusals_are_one_sentence(text, kw, error, fragment):
    with pytest.raises(error, match=fragment) as caught:
        migrate_sources([parse_source("m.yaml", text)], **kw)
    assert "\n" not in str(caught.value)


def test_a_refusal_in_one_file_changes_nothing_anywhere(tmp_path):
    good = tmp_path / "a.yaml"
    good.write_text((SEED / "acs-optimized-job.yaml").read_text())
    bad = tmp_path / "b.yaml"
    bad.write_text(WITH_INIT.replace("name: migrate-db", "name: mesh"))
    with pytest.raises(InputError):
        run_migrate([str(tmp_path)])
    assert good.read_text() == (SEED / "acs-optimized-job.yaml").read_text()
