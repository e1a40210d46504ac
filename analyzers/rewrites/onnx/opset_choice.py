"""Which lower opset the ONNX opset downgrade would take a model to, decided without the
``onnx`` Python package.

Planning the converter fix of a report (``rewrites.converter_fix``) only asks which opsets
onnx2torch cannot convert (the knowledge base) and which ops exist at a candidate opset (the
operator schemas compiled into onnx's C++ extension, loaded alone by
:func:`~trnport.analyzers.loaders.onnx.proto.parts`). Importing ``onnx`` itself would cost a
small model's check half its run time; the downgrade that really rewrites the model
(:mod:`.onnx_opset_downgrade`) needs it and imports it then.
"""

from __future__ import annotations

from typing import Any

REWRITE_ID = "RW-onnx-opset-downgrade"
DEFAULT_DOMAINS = ("", "ai.onnx")


def model_opset(model: Any) -> int:
    return next((o.version for o in model.opset_import if o.domain in DEFAULT_DOMAINS), 0)


def blocked(op_type: str, opset: int) -> bool:
    """Whether the knowledge base says onnx2torch has no converter for the schema version
    of ``op_type`` that ``opset`` selects (a TRN101 opset rule naming the downgrade)."""
    from trnport.analyzers.kb import load_kb

    entry = load_kb().onnx(op_type)
    if entry is None:
        return False
    for rule in entry.rules:
        span = rule.when.get("opset") if rule.rewrite == REWRITE_ID else None
        if span is not None and set(rule.when) == {"opset"} and \
                span.get("min", 0) <= opset <= span.get("max", opset):
            return True
    return False


def target_opset(op_types: set[str], opset: int) -> int | None:
    """The highest opset below ``opset`` at which no op of ``op_types`` is blocked (ops
    that do not exist there are left to the node check), or None."""
    for candidate in range(opset - 1, 0, -1):
        if not any(blocked(op, candidate) for op in op_types if schema(op, candidate)):
            return candidate
    return None


def schema(op_type: str, opset: int) -> Any:
    """The default-domain schema of ``op_type`` that ``opset`` selects, or None."""
    from trnport.analyzers.loaders.onnx.proto import parts

    try:
        return parts().native.defs.get_schema(op_type, opset, "")
    except Exception:  # SchemaError: the op has no version at or below ``opset``
        return None
