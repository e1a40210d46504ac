"""Compile knowledge-base conditions (a rule's ``when``) into predicates over node facts.

A condition is a mapping whose keys are all required to hold (``any_of`` gives "or"):

- ``sdk: {min, max}`` — the profile's SDK line, inclusive; ``target: [families]``;
  ``generation: [v2|v3|v4]``; ``mode: [inference|training]``; ``opset: {min, max}`` (the
  graph's ONNX default-domain opset). These read the context, not the node.
- ``input_dtype`` / ``output_dtype`` / ``any_dtype`` — a list of dtypes or families (any
  tensor matches), or ``{index: i, in: [...]}`` / ``{from: i, in: [...]}``.
- ``attr`` — one test or a list: ``{name, default, eq, ne, in, not_in, any_ne, symbolic}``;
  a missing (or None) attribute takes ``default``.
- ``rank: {index, min, max}``, ``num_inputs: {min, max}``, ``input_static: {index, is}``
  (the input is a constant or computed only from constants and static shapes),
  ``pool_output_divides`` (adaptive pooling output size tiles the input),
  ``dilation_exceeds_kernel`` (a convolution's dilation is larger than its kernel in some
  spatial dimension), ``op_in``.

Unknown facts (a missing dtype, a symbolic shape) never make a condition true.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from trnport.analyzers.kb.model import sdk_tuple


@dataclass(frozen=True, slots=True)
class Context:
    """What a verdict depends on besides the node: profile, target and mode."""

    sdk: tuple[int, ...]
    family: str
    generation: str
    mode: str


@dataclass(slots=True)
class Facts:
    """What conditions read from one node (filled by the coverage pass)."""

    op_packet: str
    aten: tuple[str, ...]
    in_dtypes: tuple[str | None, ...]
    out_dtypes: tuple[str | None, ...]
    attrs: Mapping[str, Any]
    in_shapes: tuple[tuple | None, ...]
    in_static: tuple[bool, ...]
    num_inputs: int
    opset: int | None


Predicate = Callable[[Facts, Context], bool]
#: which node facts a condition key reads (used to build the verdict cache key)
NEEDS = {
    "input_dtype": "dtypes",
    "output_dtype": "dtypes",
    "any_dtype": "dtypes",
    "attr": "attrs",
    "rank": "shapes",
    "pool_output_divides": "shapes",
    "dilation_exceeds_kernel": "shapes",
    "input_static": "static",
    "num_inputs": "dtypes",
    "opset": "opset",
    "op_in": "op",
}


def needs_of(when: Mapping[str, Any]) -> set[str]:
    """The fact groups a condition reads (``attrs`` also names the attributes)."""
    found: set[str] = set()
    for key, value in when.items():
        if key == "any_of":
            for sub in value:
                found |= needs_of(sub)
        elif key == "attr":
            tests = value if isinstance(value, list) else [value]
            found |= {f"attr:{t['name']}" for t in tests}
        elif key in NEEDS:
            found.add(NEEDS[key])
            if key == "pool_output_divides":
                found.add("attr:output_size")
            if key == "dilation_exceeds_kernel":
                found |= {"attr:dilation", "attr:dilations", "attr:kernel_shape"}
    return found


def compile_condition(when: Mapping[str, Any], families: Mapping[str, frozenset[str]]) -> Predicate:
    """One predicate for the whole mapping (all keys must hold)."""
    parts = [_compile_key(key, value, families) for key, value in when.items()]
    if len(parts) == 1:
        return parts[0]
    return lambda facts, ctx: all(part(facts, ctx) for part in parts)


def _compile_key(key: str, value: Any, families: Mapping[str, frozenset[str]]) -> Predicate:
    if key == "any_of":
        subs = [compile_condition(sub, families) for sub in value]
        return lambda facts, ctx: any(sub(facts, ctx) for sub in subs)
    if key == "sdk":
        low = sdk_tuple(value["min"]) if "min" in value else None
        high = sdk_tuple(value["max"]) if "max" in value else None
        return lambda facts, ctx: (
            (low is None or ctx.sdk >= low) and (high is None or ctx.sdk <= high)
        )
    if key == "target":
        allowed = frozenset(value)
        return lambda facts, ctx: ctx.family in allowed
    if key == "generation":
        allowed = frozenset(value)
        return lambda facts, ctx: ctx.generation in allowed
    if key == "mode":
        allowed = frozenset(value)
        return lambda facts, ctx: ctx.mode in allowed
    if key == "opset":
        return _range_test(lambda facts: facts.opset, value)
    if key in ("input_dtype", "output_dtype", "any_dtype"):
        return _dtype_test(key, value, families)
    if key == "attr":
        tests = [_attr_test(t) for t in (value if isinstance(value, list) else [value])]
        return lambda facts, ctx: all(test(facts.attrs) for test in tests)
    if key == "rank":
        index = value.get("index", 0)
        return _range_test(lambda facts: _rank(facts, index), value)
    if key == "num_inputs":
        return _range_test(lambda facts: facts.num_inputs, value)
    if key == "input_static":
        index, wanted = value["index"], value["is"]
        return lambda facts, ctx: (
            (facts.in_static[index] if index < len(facts.in_static) else True) == wanted
        )
    if key == "pool_output_divides":
        return lambda facts, ctx: _pool_divides(facts) is value
    if key == "dilation_exceeds_kernel":
        return lambda facts, ctx: _dilation_exceeds_kernel(facts) is value
    if key == "op_in":
        allowed = frozenset(value)
        return lambda facts, ctx: (
            facts.op_packet in allowed
            or (bool(facts.aten) and all(a in allowed for a in facts.aten))
        )
    raise ValueError(f"unknown condition key {key!r}")


def _range_test(getter: Callable[[Facts], int | None], spec: Mapping[str, int]) -> Predicate:
    low, high = spec.get("min"), spec.get("max")

    def test(facts: Facts, ctx: Context) -> bool:
        value = getter(facts)
        if value is None:
            return False
        return (low is None or value >= low) and (high is None or value <= high)

    return test


def _rank(facts: Facts, index: int) -> int | None:
    if index >= len(facts.in_shapes) or facts.in_shapes[index] is None:
        return None
    return len(facts.in_shapes[index])


def _dtype_test(key: str, spec: Any, families: Mapping[str, frozenset[str]]) -> Predicate:
    names = spec if isinstance(spec, list) else spec["in"]
    allowed = frozenset(d for name in names for d in families.get(name, (name,)))
    index = None if isinstance(spec, list) else spec.get("index")
    start = 0 if isinstance(spec, list) else spec.get("from", 0)

    def pick(facts: Facts) -> tuple[str | None, ...]:
        if key == "output_dtype":
            return facts.out_dtypes
        if key == "any_dtype":
            return facts.in_dtypes + facts.out_dtypes
        if index is not None:
            return facts.in_dtypes[index : index + 1]
        return facts.in_dtypes[start:]

    return lambda facts, ctx: any(d in allowed for d in pick(facts) if d is not None)


def normalise(value: Any) -> Any:
    """Attribute values as plain comparable Python: bytes decoded, tuples as lists."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, tuple):
        return [normalise(v) for v in value]
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a is not None:
        return float(a) == float(b)
    return a == b


def _attr_test(spec: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    name = spec["name"]
    default = spec.get("default")
    checks: list[Callable[[Any], bool]] = []
    if "eq" in spec:
        checks.append(lambda v, x=spec["eq"]: _same(v, x))
    if "ne" in spec:
        checks.append(lambda v, x=spec["ne"]: not _same(v, x))
    if "in" in spec:
        checks.append(lambda v, xs=spec["in"]: any(_same(v, x) for x in xs))
    if "not_in" in spec:
        checks.append(lambda v, xs=spec["not_in"]: not any(_same(v, x) for x in xs))
    if "any_ne" in spec:

        def any_ne(v: Any, x: Any = spec["any_ne"]) -> bool:
            items = v if isinstance(v, list) else [v]
            return any(not _same(item, x) for item in items)

        checks.append(any_ne)
    if "symbolic" in spec:

        def symbolic(v: Any, wanted: bool = spec["symbolic"]) -> bool:
            items = v if isinstance(v, list) else [v]
            return any(isinstance(item, str) for item in items) == wanted

        checks.append(symbolic)

    def test(attrs: Mapping[str, Any]) -> bool:
        value = normalise(attrs.get(name))
        if value is None:
            value = default
        return all(check(value) for check in checks)

    return test


def _pool_divides(facts: Facts) -> bool | None:
    """Whether adaptive pooling's output size evenly tiles the input; None when unknown.

    Forward ops carry ``output_size``; backward ops compare the gradient (input 0, output
    sized) with the forward input (input 1)."""
    out_size = normalise(facts.attrs.get("output_size"))
    if out_size is not None:
        source = facts.in_shapes[0] if facts.in_shapes else None
        sizes = out_size if isinstance(out_size, list) else [out_size]
    else:
        if len(facts.in_shapes) < 2 or facts.in_shapes[0] is None:
            return None
        source, sizes = facts.in_shapes[1], list(facts.in_shapes[0])
    if source is None or not sizes:
        return None
    sizes = sizes[-min(len(sizes), len(source)) :] if out_size is None else sizes
    dims = source[len(source) - len(sizes) :]
    if any(not isinstance(d, int) for d in (*dims, *sizes)) or any(s <= 0 for s in sizes):
        return None
    return all(d % s == 0 for d, s in zip(dims, sizes, strict=True))


def _dilation_exceeds_kernel(facts: Facts) -> bool | None:
    """Whether a convolution's dilation is larger than its kernel in some spatial dimension;
    None when either is unknown. The kernel is ONNX ``kernel_shape`` or the weight's
    (input 1) spatial dims; the dilation is ATen ``dilation`` or ONNX ``dilations``."""
    dilation = normalise(facts.attrs.get("dilation", facts.attrs.get("dilations")))
    kernel = normalise(facts.attrs.get("kernel_shape"))
    if kernel is None and len(facts.in_shapes) > 1 and facts.in_shapes[1] is not None:
        kernel = list(facts.in_shapes[1][2:])
    if dilation is None or not kernel:
        return None
    dilations = dilation if isinstance(dilation, list) else [dilation] * len(kernel)
    pairs = [(d, k) for d, k in zip(dilations, kernel, strict=False)
             if isinstance(d, int) and isinstance(k, int)]
    if not pairs:
        return None
    return any(k < d for d, k in pairs)
