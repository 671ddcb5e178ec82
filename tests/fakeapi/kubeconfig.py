"""Kubeconfig files for tests (JSON, which is valid YAML for kubectl and the Python client)."""

import json
import os
from collections.abc import Iterable
from typing import Optional

__all__ = ["write_kubeconfig", "kubeconfig_dict"]

_DEFAULT = object()


def _cluster(server: str, ca_path: Optional[str], insecure: bool) -> dict:
    c = {"server": server}  # type: dict
    if ca_path:
        c["certificate-authority"] = os.fspath(ca_path)
    if insecure:
        c["insecure-skip-tls-verify"] = True
    return c


def kubeconfig_dict(
    server_url: str,
    token: Optional[str] = None,
    ca_path: Optional[str] = None,
    namespace: Optional[str] = None,
    context: str = "test",
    user: str = "test-user",
    cluster: str = "test-cluster",
    insecure: bool = False,
    extra_contexts: Optional[Iterable[dict]] = None,
    current_context: object = _DEFAULT,
    include_main: bool = True,
) -> dict:
    clusters, users, contexts = [], [], []  # type: list[dict], list[dict], list[dict]
    if include_main:
        clusters.append({"name": cluster, "cluster": _cluster(server_url, ca_path, insecure)})
        users.append({"name": user, "user": {"token": token} if token else {}})
        ctx = {"cluster": cluster, "user": user}
        if namespace:
            ctx["namespace"] = namespace
        contexts.append({"name": context, "context": ctx})
    for extra in extra_contexts or ():
        name = extra["name"]
        c_name = extra.get("cluster") or (name + "-cluster" if "server" in extra else cluster)
        u_name = extra.get("user") or (name + "-user" if "token" in extra else user)
        if "server" in extra and not any(c["name"] == c_name for c in clusters):
            clusters.append(
                {
                    "name": c_name,
                    "cluster": _cluster(extra["server"], extra.get("ca_path"), bool(extra.get("insecure"))),
                }
            )
        if "token" in extra and not any(u["name"] == u_name for u in users):
            users.append({"name": u_name, "user": {"token": extra["token"]} if extra["token"] else {}})
        ctx = {"cluster": c_name, "user": u_name}
        if extra.get("namespace"):
            ctx["namespace"] = extra["namespace"]
        contexts.append({"name": name, "context": ctx})
    cfg = {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": clusters,
        "users": users,
        "contexts": contexts,
    }  # type: dict
    if current_context is _DEFAULT:
        current_context = context if include_main else (contexts[0]["name"] if contexts else None)
    if current_context:
        cfg["current-context"] = current_context
    return cfg


def write_kubeconfig(
    path: "os.PathLike[str] | str",
    server_url: str,
    token: Optional[str] = None,
    ca_path: Optional[str] = None,
    namespace: Optional[str] = None,
    context: str = "test",
    user: str = "test-user",
    cluster: str = "test-cluster",
    insecure: bool = False,
    extra_contexts: Optional[Iterable[dict]] = None,
    current_context: object = _DEFAULT,
    include_main: bool = True,
) -> str:
    """Write a kubeconfig and return its path.

    extra_contexts: dicts with ``name`` and optionally ``server`` (a new cluster ``<name>-cluster``,
    with ``ca_path``/``insecure``), ``token`` (a new user ``<name>-user``), ``namespace``, or explicit
    ``cluster``/``user`` names. current_context: default ``context``; None leaves it unset (for the
    later files of a KUBECONFIG=a:b list). include_main=False writes only the extra contexts."""
    cfg = kubeconfig_dict(
        server_url,
        token=token,
        ca_path=ca_path,
        namespace=namespace,
        context=context,
        user=user,
        cluster=cluster,
        insecure=insecure,
        extra_contexts=extra_contexts,
        current_context=current_context,
        include_main=include_main,
    )
    path = os.fspath(path)
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    os.chmod(path, 0o600)
    return path
