"""Each TRN4xx rule's documented example, loaded as a Python model file and assessed, triggers
its rule at a line of that file (the engine-level doc test does the same through analyze())."""

from __future__ import annotations

import shlex

import pytest

from tests.analyzers.memory.memory_fixtures import INF2_CORE, TRN1_CORE, MemoryRuleContext
from trnport.analyzers.memory.assessment import estimate_memory
from trnport.analyzers.options import AnalysisOptions
from trnport.analyzers.rules.docs import example_code
from trnport.analyzers.rules.registry import rule_module

BUDGETS = {"trn1": TRN1_CORE, "inf2": INF2_CORE}


def _options(code: str) -> AnalysisOptions:
    settings = {"trust_code": True}
    words = shlex.split(code.lstrip().splitlines()[0].split(":", 1)[1])
    settings.update({flag.lstrip("-").replace("-", "_"): value
                     for flag, value in zip(words[::2], words[1::2], strict=True)})
    return AnalysisOptions(**settings)


@pytest.mark.slow
@pytest.mark.parametrize("code", ["TRN401", "TRN402", "TRN403", "TRN404"])
def test_documented_memory_example_triggers_its_rule(code, tmp_path):
    from trnport.analyzers.loaders.torch.python_file import load

    source = example_code(rule_module(code))
    model_file = tmp_path / f"example_{code.lower()}.py"
    model_file.write_text(source, encoding="utf-8")
    options = _options(source)
    graph = load(model_file, options).graph
    memory = estimate_memory(graph, options, BUDGETS[options.target])
    context = MemoryRuleContext(graph=graph, options=options, memory=memory)
    findings = list(rule_module(code).check(context))
    assert findings, code
    assert all(f.location.file and f.location.file.endswith(model_file.name)
               for f in findings), [f.location for f in findings]
