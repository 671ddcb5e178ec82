"""The lazy-import shim over the kubernetes package: its config loaders and REST client, without its models.

``import kubernetes`` runs ``kubernetes/client/__init__.py``, which imports every API class and model
(about 1,200 modules: most of a command's run, and 30 MB). The configuration, the REST client and the
kubeconfig loaders need none of them. So :func:`load` creates the packages ``kubernetes``,
``kubernetes.client``, ``kubernetes.client.models`` and ``kubernetes.config`` without running their
``__init__`` (see :class:`_LazyPackage`) and imports only the modules used. When the package is already
imported, or anything fails, the plain imports are used instead.

The internals of the kubernetes package this relies on (checked against 24.2.0 and the newest 35.x by
tests/integration/test_kube_shim.py):

- the modules ``kubernetes.client.configuration`` (``Configuration``), ``kubernetes.client.api_client``
  (``ApiClient``: ``rest_client.pool_manager``, ``update_params_for_auth``),
  ``kubernetes.config.config_exception`` (``ConfigException``), ``kubernetes.config.kube_config``
  (``ConfigNode``, ``KubeConfigLoader``) and ``kubernetes.config.incluster_config``
  (``InClusterConfigLoader``);
- that ``kube_config`` and ``incluster_config`` take ``Configuration`` and ``ApiClient`` from
  ``kubernetes.client`` (set on the lazy package before they are imported) and nothing else of it.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass
from typing import Any

PACKAGES = ("kubernetes", "kubernetes.client", "kubernetes.client.models", "kubernetes.config")


@dataclass(frozen=True)
class Library:
    """The parts of the kubernetes package in use."""

    ApiClient: Any
    Configuration: Any
    ConfigException: Any
    ConfigNode: Any
    KubeConfigLoader: Any
    InClusterConfigLoader: Any


_LOADED: list[Library] = []  # loaded once per process


def load() -> Library:
    """The kubernetes package's client and config classes, imported lazily when possible."""
    if _LOADED:
        return _LOADED[0]
    library = None
    if "kubernetes" not in sys.modules:
        try:
            library = _load_parts()
        except Exception:
            for name in [n for n in sys.modules if n == "kubernetes" or n.startswith("kubernetes.")]:
                del sys.modules[name]
    if library is None:
        library = _load_plainly()
    _LOADED.append(library)
    return library


def _load_plainly() -> Library:
    from kubernetes.client import ApiClient, Configuration
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.incluster_config import InClusterConfigLoader
    from kubernetes.config.kube_config import ConfigNode, KubeConfigLoader

    return Library(
        ApiClient=ApiClient,
        Configuration=Configuration,
        ConfigException=ConfigException,
        ConfigNode=ConfigNode,
        KubeConfigLoader=KubeConfigLoader,
        InClusterConfigLoader=InClusterConfigLoader,
    )


class _LazyPackage(types.ModuleType):
    """A package whose ``__init__`` has not run yet: it runs, in this same module object, the first
    time an attribute it lacks is asked for (``kubernetes.client.CoreV1Api``), so anyone else in the
    process still sees the whole package. Submodules import as usual meanwhile."""

    _loading = False  # while _load_parts imports submodules: never run an __init__

    def __getattr__(self, name: str) -> Any:
        state = self.__dict__
        if _LazyPackage._loading or state.get("_lazy_done") or (name.startswith("__") and name != "__all__"):
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        state["_lazy_done"] = True
        spec = self.__spec__
        loader = spec.loader if spec is not None else None
        if loader is not None and hasattr(loader, "exec_module"):
            loader.exec_module(self)
        elif loader is not None:  # zipimport before Python 3.10
            exec(loader.get_code(self.__name__), state)  # type: ignore[attr-defined]  # noqa: S102
        return getattr(self, name)


def _load_parts() -> Library:
    import importlib
    import importlib.util

    packages: dict[str, types.ModuleType] = {}
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)  # the parent is in sys.modules by now: nothing runs
        if spec is None or spec.submodule_search_locations is None or spec.loader is None:
            raise ImportError(f"{name} is not a package")
        module = importlib.util.module_from_spec(spec)
        module.__class__ = _LazyPackage
        sys.modules[name] = packages[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(packages[parent], child, module)
    _LazyPackage._loading = True
    try:
        configuration = importlib.import_module("kubernetes.client.configuration")
        api_client = importlib.import_module("kubernetes.client.api_client")
        # what kube_config and incluster_config import from the package
        client = packages["kubernetes.client"]
        client.Configuration = configuration.Configuration  # type: ignore[attr-defined]
        client.ApiClient = api_client.ApiClient  # type: ignore[attr-defined]
        kube_config = importlib.import_module("kubernetes.config.kube_config")
        return Library(
            ApiClient=api_client.ApiClient,
            Configuration=configuration.Configuration,
            ConfigException=importlib.import_module("kubernetes.config.config_exception").ConfigException,
            ConfigNode=kube_config.ConfigNode,
            KubeConfigLoader=kube_config.KubeConfigLoader,
            InClusterConfigLoader=importlib.import_module(
                "kubernetes.config.incluster_config"
            ).InClusterConfigLoader,
        )
    finally:
        _LazyPackage._loading = False
