"""The finding pages of ``kubectl sidecar explain``: a copy of docs/checks/SC*.md, read as package data.

A test (tests/unit/test_explain.py) keeps each page equal to its docs/checks/ original: after editing
one there, copy it here (``cp docs/checks/SC*.md kubectl_sidecar/checks/pages/``).
"""
