"""The sidecar catalogue: matching rules, the built-in entries, user files and their errors, --now."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from kubectl_sidecar.cli import cli
from kubectl_sidecar.errors import InputError
from kubectl_sidecar.knownsidecars import (
    builtin,
    command_matches,
    config_path,
    image_matches,
    image_repository,
)
from kubectl_sidecar.knownsidecars.load import load, parse_catalogue
from kubectl_sidecar.model import parse_containers
from kubectl_sidecar.timefmt import parse_when


@pytest.mark.parametrize(
    "pattern, image, expected",
    [
        ("cloudsql-docker/gce-proxy", "gcr.io/cloudsql-docker/gce-proxy:1.32.0", True),
        ("cloudsql-docker/gce-proxy", "eu.gcr.io/cloudsql-docker/gce-proxy@sha256:abc", True),
        ("proxyv2", "artifactory.algol60.net/stio/proxyv2:1.11.8-cray1-distroless", True),
        ("istio/proxyv2", "docker.io/istio/proxyv2:1.0.5", True),
        ("istio/proxyv2", "localhost:5000/proxyv2:1.0", False),  # one segment is not two
        (
            "gcr.io/cloudsql-docker/gce-proxy",
            "eu.gcr.io/cloudsql-docker/gce-proxy:1",
            False,
        ),  # registry pinned
        ("otel/opentelemetry-collector*", "otel/opentelemetry-collector-contrib:0.98.0", True),
        ("fluent-bit", "registry.example.com/fluent-bit-config:1", False),  # the whole segment, not a part
    ],
)
def test_image_patterns_match_the_tail_of_the_repository(pattern, image, expected):
    assert image_matches(pattern, image_repository(image)) is expected


@pytest.mark.parametrize(
    "pattern, command, args, expected",
    [
        (("cloud_sql_proxy",), ["/cloud_sql_proxy", "-instances=x"], [], True),
        (("vault", "agent"), ["vault", "agent", "-config=/x"], [], True),
        (("vault", "agent"), ["vault", "server"], [], False),
        (
            ("proxy", "sidecar"),
            [],
            ["proxy", "sidecar", "--domain", "x"],
            True,
        ),  # the image's entrypoint runs
        (
            ("proxy", "sidecar"),
            ["/bin/app"],
            ["proxy", "sidecar"],
            False,
        ),  # a command of its own: args say less
    ],
)
def test_commands_match_by_their_first_words(pattern, command, args, expected):
    assert command_matches(pattern, command, args) is expected


def _pod(*containers, annotations=None):
    return {"metadata": {"annotations": annotations or {}}, "spec": {"containers": list(containers)}}


@pytest.mark.parametrize(
    "container, annotations, expected",
    [
        (  # the case: a renamed Cloud SQL proxy v1, by its image
            {
                "name": "cloudsql-connector",
                "image": "gcr.io/cloudsql-docker/gce-proxy:1.32.0",
                "command": ["/cloud_sql_proxy", "-instances=p:r:i=tcp:5432"],
            },
            None,
            ("sidecar", "known", "cloud-sql-proxy-v1", "image"),
        ),
        (  # a renamed Istio proxy from a mirror, by its image
            {"name": "mesh", "image": "artifactory.algol60.net/stio/proxyv2:1.11.8"},
            None,
            ("sidecar", "mesh", "istio-proxy", "image"),
        ),
        (  # by command alone
            {
                "name": "db",
                "image": "registry.example.com/tools:1",
                "args": ["x"],
                "command": ["cloud-sql-proxy", "--port=5432"],
            },
            None,
            ("sidecar", "known", "cloud-sql-proxy-v2", "command"),
        ),
        (  # named in the injector's annotation
            {"name": "my-proxy", "image": "registry.example.com/p:1"},
            {"sidecar.istio.io/status": '{"initContainers":["istio-init"],"containers":["my-proxy"]}'},
            ("sidecar", "mesh", "istio-proxy", "annotation"),
        ),
        (
            {"name": "daprd", "image": "docker.io/daprio/daprd:1.13.0"},
            None,
            ("sidecar", "known", "daprd", "image"),
        ),
        ({"name": "worker", "image": "registry.example.com/worker:2"}, None, ("app", None, None, None)),
    ],
    ids=["cloudsql-v1-renamed", "istio-mirror", "by-command", "by-annotation", "dapr", "unknown-app"],
)
def test_the_catalogue_drives_roles(container, annotations, expected):
    app = {"name": "app", "image": "registry.example.com/app:1"}
    c = parse_containers(_pod(container, app, annotations=annotations))[0]
    assert (c.role, c.sidecar_kind, c.known.name if c.known else None, c.known_by) == expected


def test_a_pod_of_known_sidecars_only_runs_them_as_its_apps():
    only = parse_containers(_pod({"name": "fluent-bit", "image": "fluent/fluent-bit:3.1"}))
    assert [(c.role, c.known) for c in only] == [("app", None)]


def test_the_built_in_catalogue_covers_the_families_and_says_how_each_mesh_exits():
    entries = builtin().entries
    assert len(entries) >= 25
    names = {e.name for e in entries}
    for wanted in (
        "istio-proxy",
        "linkerd-proxy",
        "consul-dataplane",
        "kuma-sidecar",
        "aws-appmesh-envoy",
        "envoy",
        "cloud-sql-proxy-v1",
        "cloud-sql-proxy-v2",
        "alloydb-auth-proxy",
        "oauth2-proxy",
        "vault-agent",
        "fluent-bit",
        "fluentd",
        "filebeat",
        "vector",
        "promtail",
        "datadog-agent",
        "opentelemetry-collector",
        "daprd",
        "acs-sidecar",
        "eci-sidecar",
        "kruise-job-sidecar",
        "kruise-sidecarset",
    ):
        assert wanted in names
    exits = {e.name: e.exit_command for e in entries}
    assert exits["istio-proxy"] == "curl -fsS -X POST localhost:15020/quitquitquit"
    assert exits["linkerd-proxy"] == "curl -fsS -X POST localhost:4191/shutdown"
    assert exits["daprd"] == "curl -fsS -X POST localhost:3500/v1.0/shutdown"
    assert "--quitquitquit" in (builtin().entry("cloud-sql-proxy-v2").exit_setup or "")


USER = """
apiVersion: kubectl-sidecar/v1
kind: SidecarCatalogue
sidecars:
- name: acme-agent
  title: ACME telemetry agent
  category: metrics
  match: {images: [acme/agent]}
  exit: {command: "curl -X POST localhost:7777/stop"}
- name: istio-proxy
  title: Our Istio build
  category: mesh
  match: {images: [acme/istio-proxy]}
"""


def test_a_user_catalogue_comes_first_and_replaces_entries_of_the_same_name(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(USER)
    catalogue = load([str(path)], environ={})
    assert [e.name for e in catalogue.entries[:2]] == ["acme-agent", "istio-proxy"]
    assert catalogue.entry("istio-proxy").title == "Our Istio build"
    assert len(catalogue.entries) == len(builtin().entries) + 1
    c = parse_containers(
        _pod({"name": "a", "image": "acme/agent:1"}, {"name": "app", "image": "x"}), (), catalogue
    )[0]
    assert (c.role, c.known.name, c.known.source) == ("sidecar", "acme-agent", str(path))


def test_the_config_file_is_read_when_it_exists(tmp_path):
    folder = tmp_path / "kubectl-sidecar"
    folder.mkdir()
    (folder / "sidecars.yaml").write_text(USER)
    environ = {"XDG_CONFIG_HOME": str(tmp_path)}
    assert config_path(environ) == str(folder / "sidecars.yaml")
    assert load([], environ=environ).entries[0].name == "acme-agent"
    assert config_path({"HOME": "/home/u"}) == "/home/u/.config/kubectl-sidecar/sidecars.yaml"
    assert config_path({}) is None


@pytest.mark.parametrize(
    "text, words",
    [
        ("[1, 2]", "is not a sidecar catalogue"),
        ("apiVersion: kubectl-sidecar/v1\nkind: SidecarCatalogue\n", "has no list of sidecars"),
        (
            "apiVersion: kubectl-sidecar/v1\nkind: SidecarCatalogue\nsidecars:\n- {name: X, title: t}\n",
            "lower-case",
        ),
        (
            "apiVersion: kubectl-sidecar/v1\nkind: SidecarCatalogue\nsidecars:\n- {name: x, title: t}\n",
            "matches nothing",
        ),
        (
            "apiVersion: kubectl-sidecar/v1\nkind: SidecarCatalogue\nsidecars:\n"
            "- {name: x, title: t, match: {imagez: [a]}}\n",
            "unknown field 'imagez'",
        ),
        ("a: [unclosed", "is not valid YAML or JSON"),
    ],
)
def test_a_bad_user_catalogue_is_refused_in_one_sentence_with_exit_2(tmp_path, text, words):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load([str(path)], environ={})
    assert words in str(caught.value) and "\n" not in str(caught.value)
    result = CliRunner().invoke(cli, ["demo", "--list"])  # the demo reads no catalogue file
    assert result.exit_code == 0
    seed = "kubectl_sidecar/demo/acs-legacy-forced-exit.yaml"
    result = CliRunner().invoke(cli, ["timeline", "-f", seed, "--sidecar-catalogue", str(path)])
    assert result.exit_code == 2 and words in result.output


def test_parse_catalogue_refuses_two_entries_of_one_name():
    data = {
        "apiVersion": "kubectl-sidecar/v1",
        "kind": "SidecarCatalogue",
        "sidecars": [{"name": "a", "title": "t", "match": {"names": ["a"]}}] * 2,
    }
    with pytest.raises(InputError, match="twice"):
        parse_catalogue(data, "f.yaml")


CLOCK = datetime(2024, 10, 29, 4, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-10-29T03:40:00Z", datetime(2024, 10, 29, 3, 40, tzinfo=timezone.utc)),
        ("2024-10-29T11:40:00+08:00", datetime(2024, 10, 29, 3, 40, tzinfo=timezone.utc)),
        ("-10m", datetime(2024, 10, 29, 3, 50, tzinfo=timezone.utc)),
        ("-1h30m", datetime(2024, 10, 29, 2, 30, tzinfo=timezone.utc)),
        ("2024-10-29T03:40:00", None),  # no zone: ambiguous
        ("yesterday", None),
        ("-10", None),
    ],
)
def test_now_is_rfc3339_or_relative_to_the_clock(text, expected):
    assert parse_when(text, CLOCK) == expected


def test_now_is_for_files_and_must_be_a_time():
    runner = CliRunner()
    seed = "kubectl_sidecar/demo/acs-legacy-forced-exit.yaml"
    bad = runner.invoke(cli, ["check", "-f", seed, "--now", "soon"])
    assert bad.exit_code == 2 and "is not a time" in bad.output
    live = runner.invoke(cli, ["check", "--now", "-10m"])
    assert live.exit_code == 2 and "live, now is the clock" in live.output
    ok = runner.invoke(cli, ["timeline", "-f", seed, "--now", "2024-10-29T03:40:00Z", "-o", "json"])
    assert ok.exit_code == 0 and '"source": "flag"' in ok.output
    plain = runner.invoke(cli, ["timeline", "-f", seed, "-o", "json"])
    assert '"source": "data"' in plain.output
