"""Label and field selectors with the grammar and semantics of k8s.io/apimachinery.

Label selectors: ``a=b``, ``a==b``, ``a!=b``, ``a in (x,y)``, ``a notin (x,y)``, ``a``, ``!a``,
``a>3``, ``a<3``, comma-joined (commas inside parentheses belong to the set).
Field selectors: ``f=v``, ``f==v``, ``f!=v``, comma-joined, with ``\\,``, ``\\=`` and ``\\\\`` escapes.

``!=`` and ``notin`` match objects that lack the label, as in Kubernetes.
"""

import re
from collections.abc import Callable
from typing import Optional

__all__ = [
    "SelectorError",
    "parse_label_selector",
    "parse_field_selector",
    "label_selector_matches",
    "fields_for",
    "FIELD_LABEL_CONVERSIONS",
]


class SelectorError(ValueError):
    """An unparsable selector or an unsupported field label (the server answers 400 BadRequest)."""


# ---------------------------------------------------------------------------------------------------
# Label selectors

_LABEL_KEY_RE = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
_LABEL_VALUE_RE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")

# One requirement is (key, operator, values); operators: "=", "!=", "in", "notin", "exists", "!", "gt", "lt"
Requirement = tuple[str, str, tuple[str, ...]]


def _tokenize(sel: str) -> list[str]:
    tokens = []  # type: list[str]
    i, n = 0, len(sel)
    while i < n:
        c = sel[i]
        if c.isspace():
            i += 1
            continue
        if c in "(),":
            tokens.append(c)
            i += 1
            continue
        if sel.startswith("==", i) or sel.startswith("!=", i):
            tokens.append(sel[i : i + 2])
            i += 2
            continue
        if c in "=<>!":
            tokens.append(c)
            i += 1
            continue
        j = i
        while j < n and not sel[j].isspace() and sel[j] not in "(),=!<>":
            j += 1
        tokens.append(sel[i:j])
        i = j
    return tokens


def parse_label_selector(selector: Optional[str]) -> list[Requirement]:
    """Parse a label selector string into requirements; raise SelectorError when invalid."""
    if selector is None or not selector.strip():
        return []
    tokens = _tokenize(selector)
    reqs = []  # type: list[Requirement]
    pos = 0

    def err(msg: str) -> SelectorError:
        return SelectorError("unable to parse requirement: %s" % msg)

    def word(what: str) -> str:
        nonlocal pos
        if pos >= len(tokens) or tokens[pos] in ("(", ")", ",", "=", "==", "!=", "!", "<", ">"):
            found = tokens[pos] if pos < len(tokens) else "end of string"
            raise err("found '%s', expected: %s" % (found, what))
        pos += 1
        return tokens[pos - 1]

    def check_key(key: str) -> str:
        if len(key) > 317 or not _LABEL_KEY_RE.match(key):
            raise err(
                "invalid label key %r: name part must consist of alphanumeric characters, '-', '_'"
                " or '.', and must start and end with an alphanumeric character" % key
            )
        return key

    def check_value(value: str) -> str:
        if len(value) > 63 or not _LABEL_VALUE_RE.match(value):
            raise err(
                "invalid label value: %r: a valid label must be an empty string or consist of "
                "alphanumeric characters, '-', '_' or '.', and must start and end with an "
                "alphanumeric character" % value
            )
        return value

    while pos < len(tokens):
        tok = tokens[pos]
        if tok == "!":
            pos += 1
            key = check_key(word("identifier"))
            reqs.append((key, "!", ()))
        else:
            key = check_key(word("identifier"))
            op = tokens[pos] if pos < len(tokens) else ","
            if op == ",":
                reqs.append((key, "exists", ()))
            elif op in ("=", "==", "!="):
                pos += 1
                # an empty value is allowed: "a=" selects label a with value ""
                if pos < len(tokens) and tokens[pos] not in (",", "(", ")", "=", "==", "!=", "!", "<", ">"):
                    value = tokens[pos]
                    pos += 1
                else:
                    value = ""
                reqs.append((key, "!=" if op == "!=" else "=", (check_value(value),)))
            elif op in ("<", ">"):
                pos += 1
                value = word("integer value")
                if not re.match(r"^-?[0-9]+$", value):
                    raise err("for 'Gt', 'Lt' operators, the value must be an integer")
                reqs.append((key, "gt" if op == ">" else "lt", (value,)))
            elif op in ("in", "notin"):
                pos += 1
                if pos >= len(tokens) or tokens[pos] != "(":
                    raise err("found '%s', expected: '('" % (tokens[pos] if pos < len(tokens) else ""))
                pos += 1
                values = []  # type: list[str]
                expect_value = True
                while True:
                    if pos >= len(tokens):
                        raise err("found end of string, expected: ')'")
                    t = tokens[pos]
                    if t == ")":
                        if expect_value and values:
                            values.append("")
                        pos += 1
                        break
                    if t == ",":
                        if expect_value:
                            values.append("")
                        expect_value = True
                        pos += 1
                        continue
                    if not expect_value:
                        raise err("found '%s', expected: ',', ')'" % t)
                    values.append(check_value(t))
                    expect_value = False
                    pos += 1
                if not values:
                    raise err("for 'in', 'notin' operators, values set can't be empty")
                reqs.append((key, op, tuple(values)))
            else:
                raise err("found '%s', expected: '=', '!=', '==', 'in', notin'" % op)
        if pos < len(tokens):
            if tokens[pos] != ",":
                raise err("found '%s', expected: ',' or 'end of string'" % tokens[pos])
            pos += 1
            if pos >= len(tokens):
                raise err("found 'end of string', expected: identifier")
    return reqs


def label_selector_matches(reqs: list[Requirement], labels: Optional[dict[str, str]]) -> bool:
    labels = labels or {}
    for key, op, values in reqs:
        has = key in labels
        val = labels.get(key)
        if op == "=" or op == "in":
            if not has or val not in values:
                return False
        elif op == "!=" or op == "notin":
            if has and val in values:
                return False
        elif op == "exists":
            if not has:
                return False
        elif op == "!":
            if has:
                return False
        elif op in ("gt", "lt"):
            if not has:
                return False
            try:
                lv = int(val)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                return False
            rv = int(values[0])
            if (op == "gt" and not lv > rv) or (op == "lt" and not lv < rv):
                return False
    return True


# ---------------------------------------------------------------------------------------------------
# Field selectors

FieldRequirement = tuple[str, str, str]  # (field, "=" or "!=", value)


def _split_unescaped(s: str, sep: str) -> list[str]:
    parts, cur, i = [], [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            cur.append(s[i : i + 2])
            i += 2
            continue
        if c == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts


def _unescape(s: str) -> str:
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            if i + 1 >= len(s) or s[i + 1] not in "\\,=":
                raise SelectorError("invalid field selector: invalid escape sequence in %r" % s)
            out.append(s[i + 1])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def parse_field_selector(selector: Optional[str]) -> list[FieldRequirement]:
    if selector is None or not selector.strip():
        return []
    reqs = []  # type: list[FieldRequirement]
    for part in _split_unescaped(selector, ","):
        if not part:
            continue
        # find the first unescaped operator: "!=", "==" or "="
        i, op_at, op = 0, -1, ""
        while i < len(part):
            if part[i] == "\\":
                i += 2
                continue
            if part.startswith("!=", i):
                op_at, op = i, "!="
                break
            if part.startswith("==", i):
                op_at, op = i, "=="
                break
            if part[i] == "=":
                op_at, op = i, "="
                break
            i += 1
        if op_at < 0:
            raise SelectorError("invalid selector: '%s'; can't understand '%s'" % (selector, part))
        field = _unescape(part[:op_at]).strip()
        value = _unescape(part[op_at + len(op) :])
        reqs.append((field, "!=" if op == "!=" else "=", value))
    return reqs


def _get(obj: dict, *path: str) -> str:
    cur = obj  # type: object
    for p in path:
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(p)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def _meta_fields(obj: dict, namespaced: bool) -> dict[str, str]:
    d = {"metadata.name": _get(obj, "metadata", "name")}
    if namespaced:
        d["metadata.namespace"] = _get(obj, "metadata", "namespace")
    return d


def _pod_fields(obj: dict) -> dict[str, str]:
    d = _meta_fields(obj, True)
    pod_ips = (obj.get("status") or {}).get("podIPs") or []
    d.update(
        {
            "spec.nodeName": _get(obj, "spec", "nodeName"),
            "spec.restartPolicy": _get(obj, "spec", "restartPolicy"),
            "spec.schedulerName": _get(obj, "spec", "schedulerName"),
            "spec.serviceAccountName": _get(obj, "spec", "serviceAccountName"),
            "spec.hostNetwork": _get(obj, "spec", "hostNetwork") or "false",
            "status.phase": _get(obj, "status", "phase"),
            "status.podIP": _get(obj, "status", "podIP"),
            "status.podIPs": ",".join(str(p.get("ip", "")) for p in pod_ips if isinstance(p, dict)),
            "status.nominatedNodeName": _get(obj, "status", "nominatedNodeName"),
        }
    )
    return d


def _event_fields(obj: dict) -> dict[str, str]:
    d = _meta_fields(obj, True)
    source = _get(obj, "source", "component") or _get(obj, "reportingComponent")
    d.update(
        {
            "involvedObject.kind": _get(obj, "involvedObject", "kind"),
            "involvedObject.namespace": _get(obj, "involvedObject", "namespace"),
            "involvedObject.name": _get(obj, "involvedObject", "name"),
            "involvedObject.uid": _get(obj, "involvedObject", "uid"),
            "involvedObject.apiVersion": _get(obj, "involvedObject", "apiVersion"),
            "involvedObject.resourceVersion": _get(obj, "involvedObject", "resourceVersion"),
            "involvedObject.fieldPath": _get(obj, "involvedObject", "fieldPath"),
            "reason": _get(obj, "reason"),
            "reportingComponent": _get(obj, "reportingComponent"),
            "source": source,
            "type": _get(obj, "type"),
        }
    )
    return d


def _node_fields(obj: dict) -> dict[str, str]:
    d = _meta_fields(obj, False)
    d["spec.unschedulable"] = _get(obj, "spec", "unschedulable") or "false"
    return d


def _namespace_fields(obj: dict) -> dict[str, str]:
    d = _meta_fields(obj, False)
    d["status.phase"] = _get(obj, "status", "phase")
    return d


def _job_fields(obj: dict) -> dict[str, str]:
    d = _meta_fields(obj, True)
    d["status.successful"] = _get(obj, "status", "succeeded") or "0"
    return d


def _replicaset_fields(obj: dict) -> dict[str, str]:
    d = _meta_fields(obj, True)
    d["status.replicas"] = _get(obj, "status", "replicas") or "0"
    return d


_FIELD_FUNCS: dict[tuple[str, str], Callable[[dict], dict[str, str]]] = {
    ("", "pods"): _pod_fields,
    ("", "events"): _event_fields,
    ("", "nodes"): _node_fields,
    ("", "namespaces"): _namespace_fields,
    ("batch", "jobs"): _job_fields,
    ("apps", "replicasets"): _replicaset_fields,
}

# events.k8s.io/v1 names its selectable fields differently; the server maps them to the core names
# (pkg/apis/events/v1/conversion.go). "source" is not selectable there.
FIELD_LABEL_CONVERSIONS = {
    ("events.k8s.io", "events"): {
        "reason": "reason",
        "regarding.kind": "involvedObject.kind",
        "regarding.namespace": "involvedObject.namespace",
        "regarding.name": "involvedObject.name",
        "regarding.uid": "involvedObject.uid",
        "regarding.apiVersion": "involvedObject.apiVersion",
        "regarding.resourceVersion": "involvedObject.resourceVersion",
        "regarding.fieldPath": "involvedObject.fieldPath",
        "reportingController": "reportingComponent",
        "type": "type",
        "metadata.namespace": "metadata.namespace",
        "metadata.name": "metadata.name",
    },
}


def fields_for(group: str, plural: str, namespaced: bool, obj: dict) -> dict[str, str]:
    """The selectable fields of a stored object (stored events are core/v1 events)."""
    if (group, plural) == ("events.k8s.io", "events"):
        group = ""
    func = _FIELD_FUNCS.get((group, plural))
    if func is None:
        return _meta_fields(obj, namespaced)
    return func(obj)


def convert_field_requirements(
    group: str, plural: str, reqs: list[FieldRequirement]
) -> list[FieldRequirement]:
    """Map field labels of the requested API version onto the stored fields; reject unknown ones."""
    mapping = FIELD_LABEL_CONVERSIONS.get((group, plural))
    if mapping is None:
        return reqs
    out = []
    for field, op, value in reqs:
        if field not in mapping:
            raise SelectorError("field label not supported: %s" % field)
        out.append((mapping[field], op, value))
    return out


def field_selector_matches(reqs: list[FieldRequirement], fields: dict[str, str]) -> bool:
    for field, op, value in reqs:
        have = fields.get(field, "")
        if op == "=" and have != value:
            return False
        if op == "!=" and have == value:
            return False
    return True


def check_field_labels(reqs: list[FieldRequirement], sample_fields: dict[str, str]) -> None:
    for field, _op, _value in reqs:
        if field not in sample_fields:
            raise SelectorError("field label not supported: %s" % field)
