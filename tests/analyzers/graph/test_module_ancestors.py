"""Module totals roll up to every dotted prefix, one addition per scope.

Checked against the obvious way (each path adds itself into each of its prefixes), on
random module trees with totals at every depth, and through both readers: the FLOPs per
module of the memory analysis and the module rows of a report.
"""

from __future__ import annotations

import random

from tests.analyzers.memory.memory_fixtures import GraphBuilder
from trnport.analyzers.api import _module_rows
from trnport.analyzers.graph import add_to_ancestors
from trnport.analyzers.memory.dtypes import DtypePolicy
from trnport.analyzers.memory.flops import NO_MODULE, profile_compute


def _prefixes(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[:depth]) for depth in range(1, len(parts) + 1)]


def _by_prefix(own: dict[str, int]) -> dict[str, int]:
    expected: dict[str, int] = {}
    for path, total in own.items():
        for prefix in _prefixes(path):
            if prefix:
                expected[prefix] = expected.get(prefix, 0) + total
    return expected


def _random_paths(rng: random.Random, count: int) -> list[str]:
    names = ["layers", "encoder", "0", "1", "12", "fc", "attn", "q_proj", "mlp"]
    return [".".join(rng.choice(names) for _ in range(rng.randint(1, 6))) for _ in range(count)]


def _add(into: list[int], totals: list[int]) -> None:
    into[0] += totals[0]


def test_totals_match_adding_each_path_into_each_prefix():
    rng = random.Random(7)
    for _ in range(50):
        own = {path: rng.randint(1, 1000) for path in _random_paths(rng, 40)}
        rolled = add_to_ancestors({p: [t] for p, t in own.items()}, lambda: [0], _add)
        assert {path: total[0] for path, total in rolled.items()} == _by_prefix(own)


def test_paths_already_holding_a_total_keep_it_and_add_their_children():
    rolled = add_to_ancestors({"a.b.c": [1], "a.b": [2], "a": [4], "x.y": [8]},
                              lambda: [0], _add)
    assert rolled == {"a.b.c": [1], "a.b": [3], "a": [7], "x.y": [8], "x": [8]}


def test_odd_paths_roll_up_as_their_dotted_prefixes():
    # empty segments stay segments; a leading dot gives no empty-named parent
    rolled = add_to_ancestors({"a..b": [1], ".q.r": [2]}, lambda: [0], _add)
    assert rolled == {"a..b": [1], "a.": [1], "a": [1], ".q.r": [2], ".q": [2]}


def test_flops_per_module_count_every_node_below_each_prefix():
    rng = random.Random(3)
    b = GraphBuilder()
    b.input("x", (4, 8))
    modules = _random_paths(rng, 60) + [None] * 5
    flops_of: dict[str | None, int] = {}
    name = "x"
    for index, module in enumerate(modules):
        weight = b.param(f"w{index}", (8, 8))
        b.op("aten.mm.default", [name, weight], f"h{index}", (4, 8), module=module)
        name = f"h{index}"
        flops_of[module] = flops_of.get(module, 0) + 2 * 4 * 8 * 8
    graph = b.output(name)
    compute = profile_compute(graph, DtypePolicy.for_graph(graph, "bf16"), {})
    expected = _by_prefix({m: f for m, f in flops_of.items() if m})
    expected[NO_MODULE] = flops_of[None]
    assert {path: cost.flops for path, cost in compute.modules.items()} == expected


def test_module_rows_count_statuses_under_every_prefix_and_the_root():
    rng = random.Random(11)
    statuses = ("supported", "cpu_fallback", "unsupported")
    tallies: dict[tuple, int] = {}
    for index, path in enumerate([*_random_paths(rng, 80), None, ""]):
        key = (f"op{index % 3}", rng.choice(statuses), "", None, path)
        tallies[key] = tallies.get(key, 0) + rng.randint(1, 5)
    rows = {row.module: row.nodes_by_status for row in _module_rows(tallies)}
    for status in statuses:
        own = {}
        for (_op, row_status, _reason, _source, path), count in tallies.items():
            if row_status == status and path:
                own[path] = own.get(path, 0) + count
        expected = _by_prefix(own)
        expected[""] = sum(c for k, c in tallies.items() if k[1] == status)
        assert {path: row.get(status, 0) for path, row in rows.items()
                if row.get(status)} == {p: c for p, c in expected.items() if c}
    assert list(rows) == sorted(rows)  # rows in path order, the root first
