"""What only the kubernetes library does here: run exec credential plugins and its auth-providers.

The only module that imports the kubernetes package, plainly and only when a user has an ``exec`` or a
non-``oidc`` ``auth-provider`` entry: token, certificate, ``oidc`` and in-cluster users never load it.
No persister is given: the kubeconfig is never written back.
"""

from __future__ import annotations

import inspect
import logging
import os
from typing import Any

from kubectl_sidecar.errors import ConfigError
from kubectl_sidecar.kube.text import one_line, redact_url

__all__ = ["library_auth_provider", "one_line", "redact_url", "run_exec_plugin"]


def run_exec_plugin(exec_config: dict, base_path: str | None, cluster: dict, user_name: str | None) -> dict:
    """Run the user's exec credential plugin (the library's ``ExecProvider``); its ``status`` mapping.

    ``cluster`` is passed to plugins that ask for it (``provideClusterInfo``) by library versions that
    can (24.x cannot). Every failure is one sentence with the plugin's own reason.
    """
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.exec_provider import ExecProvider
    from kubernetes.config.kube_config import ConfigNode

    failed = f'the credential plugin (exec) of user "{user_name}" failed'
    node = ConfigNode("exec", exec_config, base_path)
    cwd = os.path.dirname(base_path) if base_path else None
    try:
        if "cluster" in inspect.signature(ExecProvider.__init__).parameters:
            provider = ExecProvider(node, cwd, ConfigNode("cluster", cluster, base_path))
        else:
            provider = ExecProvider(node, cwd)
        status = provider.run()
    except ConfigException as err:
        raise ConfigError(f"{failed}: {one_line(str(err))}") from None
    except OSError as err:  # the command does not exist or cannot run
        raise ConfigError(f"{failed}: {one_line(err.strerror or str(err))}: {err.filename or ''}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as err:  # a malformed exec entry
        raise ConfigError(f"{failed}: the exec entry is malformed ({type(err).__name__})") from None
    if not isinstance(status, dict):
        raise ConfigError(f"{failed}: its output's status is not a mapping")
    return status


class _LogCapture(logging.Handler):
    """Collects what the library logs (it logs some failures instead of raising them)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def library_auth_provider(
    cluster: dict, cluster_path: str | None, user: dict, user_path: str | None, user_name: str | None
) -> Any:
    """The library's client ``Configuration`` for a user with an auth-provider the library implements.

    Returns the Configuration: its ``api_key["authorization"]`` and ``refresh_api_key_hook`` give the
    token. Relative paths resolve against the file each entry came from, as kubectl resolves them.
    """
    from kubernetes.client import Configuration
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.kube_config import ConfigNode, KubeConfigLoader

    provider = user.get("auth-provider", {}).get("name")
    config = {
        "current-context": "context",
        "contexts": [{"name": "context", "context": {"cluster": "cluster", "user": "user"}}],
        "clusters": [ConfigNode("clusters[cluster]", {"name": "cluster", "cluster": cluster}, cluster_path)],
        "users": [ConfigNode("users[user]", {"name": "user", "user": user}, user_path)],
    }
    configuration = type.__call__(Configuration)
    capture = _LogCapture()
    root = logging.getLogger()
    root.addHandler(capture)
    try:
        loader = KubeConfigLoader(
            config_dict=ConfigNode("kubeconfig", config, cluster_path), config_base_path=None
        )
        loader.load_and_set(configuration)
    except ConfigException as err:
        raise ConfigError(f"the kubeconfig cannot be used: {one_line(str(err))}") from None
    except Exception as err:  # the library's auth-providers fail in their own ways
        hint = ""
        if provider == "gcp":  # the library's gcp provider needs google-auth; kubectl dropped it in 1.26
            hint = (
                ": kubectl removed the gcp auth-provider in 1.26, use the gke-gcloud-auth-plugin "
                "credential plugin"
            )
        elif provider == "azure":
            hint = ": kubectl removed the azure auth-provider in 1.26, use kubelogin"
        raise ConfigError(
            f'the auth-provider "{provider}" of user "{user_name}" failed ({type(err).__name__}){hint}'
        ) from None
    finally:
        root.removeHandler(capture)
    return configuration
