"""Each automated rewrite is declared once: its facts in the knowledge base, its ONNX and FX
implementations under the name of its id, registered in one order."""

from __future__ import annotations

from pathlib import Path

import pytest

from trnport.analyzers.kb import load_kb
from trnport.analyzers.rewrites import registry

REWRITES = Path(registry.__file__).resolve().parent
#: engine modules that are machinery, not rewrites
# support modules beside the rewrites (opset_choice: the downgrade's opset, chosen without onnx)
MACHINERY = {"__init__", "base", "engine", "context", "opset_choice"}


def _automated() -> dict:
    return {rid: entry.automation for rid, entry in load_kb().rewrites.items()
            if entry.automation is not None}


def test_every_automated_rewrite_in_the_knowledge_base_is_registered_once():
    assert sorted(registry.APPLY_ORDER) == sorted(_automated())
    assert len(set(registry.APPLY_ORDER)) == len(registry.APPLY_ORDER)


@pytest.mark.parametrize("engine", registry.ENGINES)
def test_an_engine_implements_exactly_the_rewrites_the_data_gives_it_ops_for(engine):
    modules = {p.stem for p in (REWRITES / engine).glob("*.py")} - MACHINERY
    expected = {registry.module_name(rid) for rid, auto in _automated().items()
                if engine in auto.matches}
    assert modules == expected


@pytest.mark.parametrize("engine", registry.ENGINES)
def test_implementations_take_their_id_ops_and_title_from_the_data(engine):
    kb = load_kb()
    for rewrite in registry.implementations(engine):
        entry = kb.rewrite(rewrite.INFO.id)
        assert rewrite.INFO.title == entry.title
        assert rewrite.INFO.ops == entry.automation.matches[engine]
        assert type(rewrite).__module__.rsplit(".", 1)[-1] == registry.module_name(entry.id)
