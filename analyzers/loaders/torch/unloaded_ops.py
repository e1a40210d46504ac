"""Stand-ins for the custom operators a saved program uses whose library is not loaded.

A ``.pt2`` exported with a ``torch.library`` op (a vendor kernel, a fused CUDA op) names it
``torch.ops.<namespace>.<op>.<overload>``; when that library is not imported, torch's
deserializer cannot resolve the name and refuses the whole program. The op is a finding
about the model (a custom op Neuron has no lowering for), not an unreadable file. So each
unresolved op is defined as an opaque operator of the same name, with a schema read off the
serialized call (argument names and kinds, the result count) and a fake kernel that returns
tensors of the shapes and dtypes the program itself recorded for its results. It computes
nothing and runs no code from the file; the program is then read like any other and the op
reaches coverage under its own name.

Definitions live for the process (torch's operator registry is global), are made at most
once per name, and only in namespaces torch does not own.
"""

from __future__ import annotations

from typing import Any

from trnport.analyzers.errors import InputError

_OP_PREFIX = "torch.ops."
#: Namespaces whose ops ship with torch: an unresolved name there is a version mismatch.
_TORCH_NAMESPACES = frozenset({"aten", "prims", "higher_order", "_c10d_functional",
                               "c10d_functional", "profiler", "quantized", "_quantized"})
_ARGUMENT_TYPES = {
    "as_tensor": "Tensor", "as_tensors": "Tensor[]", "as_optional_tensor": "Tensor?",
    "as_optional_tensors": "Tensor?[]", "as_none": "Tensor?", "as_int": "SymInt",
    "as_ints": "SymInt[]", "as_sym_int": "SymInt", "as_sym_ints": "SymInt[]",
    "as_float": "float", "as_floats": "float[]", "as_sym_float": "float",
    "as_sym_floats": "float[]", "as_bool": "bool", "as_bools": "bool[]", "as_sym_bool": "bool",
    "as_sym_bools": "bool[]", "as_string": "str", "as_strings": "str[]",
    "as_scalar_type": "ScalarType", "as_memory_format": "MemoryFormat", "as_layout": "Layout",
    "as_device": "Device",
}
_KEYWORD_ONLY = 2  # schema.ArgumentKind.KEYWORD
#: name -> schema of every stand-in this process defined (and the libraries that hold them)
_DEFINED: dict[str, str] = {}
_LIBRARIES: dict[str, Any] = {}


def define_unloaded_ops(serialized_graph: Any, tensor_values: dict[str, Any]) -> list[str]:
    """Define a stand-in for every op of ``serialized_graph`` torch cannot resolve; returns
    their ``namespace::name`` (an InputError for a name torch owns, or a clash)."""
    import torch

    defined = []
    for node in serialized_graph.nodes:
        target = node.target
        if not target.startswith(_OP_PREFIX) or _resolves(target, torch):
            continue
        parts = target[len(_OP_PREFIX):].split(".")
        if len(parts) != 3:
            continue
        namespace, name, overload = parts
        if namespace in _TORCH_NAMESPACES:
            raise InputError(f"the program uses {namespace}.{name}.{overload}, which this "
                             f"torch ({torch.__version__}) does not have")
        schema = _schema(name, overload, node)
        qualified = f"{namespace}::{name}.{overload}"
        if _DEFINED.get(qualified) not in (None, schema):
            raise InputError(f"custom op {qualified} is used with two signatures")
        if qualified not in _DEFINED:
            _define(torch, namespace, name, overload, schema, node, tensor_values)
            _DEFINED[qualified] = schema
        defined.append(f"{namespace}::{name}")
    return sorted(set(defined))


def _resolves(target: str, torch: Any) -> bool:
    found: Any = torch
    for part in target.split(".")[1:]:
        found = getattr(found, part, None)
        if found is None:
            return False
    return True


def _schema(name: str, overload: str, node: Any) -> str:
    arguments, keyword = [], False
    for item in node.inputs:
        kind = item.arg.type
        if kind not in _ARGUMENT_TYPES:
            raise InputError(f"custom op {name} takes a {kind.removeprefix('as_')} argument, "
                             "which trnport cannot stand in for")
        if item.kind == _KEYWORD_ONLY and not keyword:
            arguments.append("*")
            keyword = True
        arguments.append(f"{_ARGUMENT_TYPES[kind]} {item.name}")
    results = [_ARGUMENT_TYPES.get(out.type, "Tensor") for out in node.outputs]
    returns = results[0] if len(results) == 1 else f"({', '.join(results)})"
    op_name = name if overload == "default" else f"{name}.{overload}"
    return f"{op_name}({', '.join(arguments)}) -> {returns}"


def _define(torch: Any, namespace: str, name: str, overload: str, schema: str, node: Any,
            tensor_values: dict[str, Any]) -> None:
    from torch._export.serde.serialize import deserialize_scalar_type

    library = _LIBRARIES.get(namespace)
    if library is None:
        library = _LIBRARIES[namespace] = torch.library.Library(namespace, "FRAGMENT")
    library.define(schema)
    results = []
    for out in node.outputs:
        tensors = [out.value] if out.type == "as_tensor" else list(out.value or ()) \
            if out.type == "as_tensors" else []
        metas = [tensor_values.get(t.name) for t in tensors]
        results.append((out.type, [(
            [s.as_int if s.type == "as_int" else None for s in meta.sizes],
            deserialize_scalar_type(meta.dtype),
        ) for meta in metas if meta is not None]))

    def fake(*args: Any, **kwargs: Any) -> Any:
        device = next((a.device for a in (*args, *kwargs.values())
                       if isinstance(a, torch.Tensor)), torch.device("cpu"))
        made = []
        for kind, shapes in results:
            tensors = [torch.empty([d if d is not None else
                                    torch.library.get_ctx().new_dynamic_size() for d in sizes],
                                   dtype=dtype, device=device) for sizes, dtype in shapes]
            made.append(tensors[0] if kind == "as_tensor" and tensors else tensors)
        return made[0] if len(made) == 1 else tuple(made)

    op_name = name if overload == "default" else f"{name}.{overload}"
    torch.library.register_fake(f"{namespace}::{op_name}", fake, lib=library)
