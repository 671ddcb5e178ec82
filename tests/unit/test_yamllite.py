"""yamllite, the PyYAML-free fast path for kubeconfigs and the catalogue, against PyYAML itself.

Wherever yamllite answers, its answer must equal PyYAML's safe loader's (types included: True is not
1); for anything outside its subset it must say UNSUPPORTED, so the caller falls back to PyYAML. The
cases: generated documents dumped by PyYAML in several styles, every YAML file of the tests and the
package, hand-written edge cases, and kubeconfigs as kubectl and the cloud CLIs write them (which it
must read itself, or the fast path would be for nothing).
"""

from __future__ import annotations

import string
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kubectl_sidecar import yamllite
from kubectl_sidecar.yamllite import UNSUPPORTED

ROOT = Path(__file__).resolve().parents[2]


def typed(value):
    """A comparable form that tells bools, ints, floats and strings apart."""
    if isinstance(value, dict):
        return ("map", tuple(sorted(((typed(k), typed(v)) for k, v in value.items()), key=repr)))
    if isinstance(value, list):
        return ("seq", tuple(typed(v) for v in value))
    return (type(value).__name__, value)


def pyyaml(text: str):
    return yaml.load(text, Loader=yaml.SafeLoader)


def agrees(text: str) -> bool:
    """yamllite's answer equals PyYAML's; True when it answered, False when it said UNSUPPORTED."""
    fast = yamllite.parse(text)
    try:
        slow = pyyaml(text)
    except (yaml.YAMLError, ValueError, RecursionError):
        assert fast is UNSUPPORTED, f"yamllite read what PyYAML refuses:\n{text}"
        return False
    if fast is UNSUPPORTED:
        return False
    assert typed(fast) == typed(slow), f"\n{text}\nyamllite: {fast!r}\nPyYAML:   {slow!r}"
    return True


CHARS = string.ascii_letters + string.digits + " -_.:/#@&*!|>'\"%`,[]{}?=~+\\\t\u00e9\u4e2d\U0001f600"
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False)
    | st.text(alphabet=CHARS, max_size=12)
    | st.sampled_from(
        ["yes", "No", "on", "OFF", "null", "~", "0x1F", "017", "1:30", "2026-01-01", ".inf", "<<"]
    )
)
keys = st.text(
    alphabet=string.ascii_letters + string.digits + "-_./: #'\"", min_size=1, max_size=10
) | st.sampled_from(["on", "yes", "null", "1", "true"])
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(documents, st.sampled_from([False, None, True]), st.booleans(), st.integers(min_value=2, max_value=6))
def test_generated_documents_agree_with_pyyaml(doc, flow, unicode, indent):
    agrees(yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=unicode, indent=indent, width=60))


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet=" -:#'\"[]{},abc01\n", max_size=60))
def test_arbitrary_text_agrees_with_pyyaml_or_is_left_to_it(text):
    agrees(text)


def yaml_files() -> list:
    found = sorted(
        p
        for base in (ROOT / "tests", ROOT / "kubectl_sidecar", Path("/work/shared"))
        if base.exists()
        for p in base.rglob("*")
        if p.suffix in (".yaml", ".yml") and p.is_file() and p.stat().st_size < 2_000_000
    )
    assert len(found) > 20
    return found


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(p.parents[1])))
def test_every_yaml_file_agrees_with_pyyaml(path):
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8 (a corpus case)")
    if text.count("\n---") or text.startswith("---"):
        assert yamllite.parse(text) is UNSUPPORTED  # several documents: PyYAML's job
        return
    agrees(text)


KUBECTL_WRITES = """\
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=
    server: https://10.0.0.1:6443
    tls-server-name: kubernetes.default
  name: prod
- cluster:
    insecure-skip-tls-verify: true
    proxy-url: http://proxy.corp:3128
    server: https://127.0.0.1:6443
  name: kind-dev
contexts:
- context:
    cluster: prod
    namespace: batch
    user: admin@prod
  name: prod
current-context: prod
kind: Config
preferences: {}
users:
- name: admin@prod
  user:
    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - --region
      - us-west-2
      - eks
      - get-token
      - --cluster-name
      - arn:aws:eks:us-west-2:123456789012:cluster/prod
      command: aws
      env: null
      interactiveMode: IfAvailable
      provideClusterInfo: false
- name: gke
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: gke-gcloud-auth-plugin
      installHint: Install gke-gcloud-auth-plugin for use with kubectl by following
        https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin
      provideClusterInfo: true
"""


def test_kubeconfigs_as_kubectl_writes_them_are_read_without_pyyaml():
    head = KUBECTL_WRITES.split("- name: gke")[0]  # gcloud's installHint wraps: PyYAML reads that one
    assert agrees(head)
    assert not agrees(KUBECTL_WRITES)
    doc = yamllite.parse(head)
    assert doc["clusters"][1]["cluster"]["insecure-skip-tls-verify"] is True
    assert doc["users"][1]["user"]["exec"]["env"] is None and doc["preferences"] == {}


def test_the_built_in_sidecar_catalogue_is_read_without_pyyaml():
    text = (ROOT / "kubectl_sidecar" / "knownsidecars" / "sidecars.yaml").read_text()
    assert agrees(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a: 1\nb: -1\n", UNSUPPORTED),
        ("a: 'it''s'\nb: \"x\\ty\\u00e9\"\n", {"a": "it's", "b": "x\ty\u00e9"}),
        ("a: yes\nb: off\nc: ~\nd:\n", {"a": True, "b": False, "c": None, "d": None}),
        ("a: 0\nb: 007\n", UNSUPPORTED),
        ("a: 1.29\n", UNSUPPORTED),
        ("a: &x 1\nb: *x\n", UNSUPPORTED),
        ("a: !!str 1\n", UNSUPPORTED),
        ("a: |\n  text\n", UNSUPPORTED),
        ("a: b\na: c\n", UNSUPPORTED),
        ("a:\n\tb: 1\n", UNSUPPORTED),
        ("---\na: 1\n", UNSUPPORTED),
        ("a: x # a comment\nb: 'y' # another\n", {"a": "x", "b": "y"}),
        ("a: x#y\n", {"a": "x#y"}),
        ("a: [b, 'c d', \"e\"]\nf: {g: h, i: 'j'}\n", {"a": ["b", "c d", "e"], "f": {"g": "h", "i": "j"}}),
        ("a: [[b]]\n", UNSUPPORTED),
        ("a: b: c\n", UNSUPPORTED),
        ("a:\n- b\n- c: d\n  e: f\n", {"a": ["b", {"c": "d", "e": "f"}]}),
        ("- - a\n  - b\n- c\n", [["a", "b"], "c"]),
        ("a: 12345678901234567890\n", UNSUPPORTED),
        ("<<: {a: 1}\n", UNSUPPORTED),
        ("a: multi\n  line\n", UNSUPPORTED),
        ("\ufeffa: 1\n", UNSUPPORTED),
        ("", None),
        ("# only a comment\n", None),
    ],
)
def test_edge_cases(text, expected):
    got = yamllite.parse(text)
    assert (got is UNSUPPORTED) == (expected is UNSUPPORTED), got
    if expected is not UNSUPPORTED:
        assert typed(got) == typed(expected)
        agrees(text)


def test_nesting_past_the_limit_is_left_to_pyyaml():
    deep = "".join(" " * i + "a:\n" for i in range(yamllite.MAX_DEPTH + 5))
    assert yamllite.parse(deep) is UNSUPPORTED
