"""render.plain lays ASCII tables out exactly as tabulate's plain format does (tabulate is the oracle)."""

from __future__ import annotations

import string

from hypothesis import example, given, settings
from hypothesis import strategies as st
from tabulate import tabulate

from kubectl_sidecar.render.plain import plain_table

ASCII = st.text(alphabet=string.ascii_letters + string.digits + " -:.()/=_<>[]", max_size=12)
ANY = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)


def oracle(rows: list, headers: list | None) -> str:
    if headers:
        return tabulate(rows, headers=headers, tablefmt="plain", disable_numparse=True)
    return tabulate(rows, tablefmt="plain", disable_numparse=True)


@st.composite
def tables(draw, cells=ASCII):
    columns = draw(st.integers(1, 6))
    rows = draw(st.lists(st.lists(cells, min_size=columns, max_size=columns), min_size=1, max_size=6))
    headers = draw(st.none() | st.lists(cells.map(str.strip), min_size=columns, max_size=columns))
    return rows, headers


@settings(max_examples=500, deadline=None)
@given(tables())
def test_ascii_tables_match_tabulate(table):
    rows, headers = table
    assert plain_table(rows, headers) == oracle(rows, headers)


@settings(max_examples=300, deadline=None)
@given(tables(ANY))
@example(([[""], ["\r"]], None))  # a control character is not stripped away into a fast-path cell
def test_any_text_matches_tabulate(table):
    """Wide characters, escapes, line breaks: handed to tabulate itself."""
    rows, headers = table
    assert plain_table(rows, headers) == oracle(rows, headers)


def test_the_timeline_headers_shape():
    rows = [
        ["0s", "app", "app", "Started", ""],
        ["+1.250s", "log-shipper", "sidecar", "Terminated", "exit 0"],
    ]
    headers = ["TIME", "CONTAINER", "ROLE", "EVENT", "DETAIL"]
    assert plain_table(rows, headers) == oracle(rows, headers)
    assert plain_table(rows, headers).splitlines()[0] == "TIME     CONTAINER    ROLE     EVENT       DETAIL"
