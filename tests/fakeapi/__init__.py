"""A stand-in Kubernetes API server for tests: real HTTP(S) on 127.0.0.1. See docs/testing.md."""

import os

from .certs import session_certs
from .kubeconfig import kubeconfig_dict, write_kubeconfig
from .loader import load_objects
from .selectors import SelectorError, parse_field_selector, parse_label_selector
from .server import FakeApiServer, Fault, LoggedRequest, status_body, unused_port

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

__all__ = [
    "DATA_DIR",
    "FakeApiServer",
    "Fault",
    "LoggedRequest",
    "SelectorError",
    "kubeconfig_dict",
    "load_objects",
    "parse_field_selector",
    "parse_label_selector",
    "session_certs",
    "status_body",
    "unused_port",
    "write_kubeconfig",
]
