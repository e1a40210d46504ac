"""ONNX shape inference in a forked child process, overlapped with building the IR.

Used for the graphs :mod:`.shared_inference` cannot take (shape arithmetic, subgraphs,
custom ops, declared value_info), which onnx infers as a whole.

``onnx.shape_inference.infer_shapes`` is C++ that holds the GIL, so a thread cannot overlap
it with anything; a forked child can. The child infers shapes from the parent's model (shared
copy-on-write, nothing to send), while the parent converts the nodes, which do not need
shapes. The parent then asks for one of:

* ``V`` — the inferred top-level graph without nodes and initializers: its inputs,
  value_info and outputs carry every type the converter reads (about 1/20 of the model);
* ``F`` — the whole inferred model, when the nodes turned out to hold subgraphs (whose own
  value_info lives inside node attributes) or conversion failed (the sequential path then
  runs again, so errors read exactly as without the child).

Answers start with a tag byte: ``V``/``F`` and the serialized proto, or ``E`` and the note
:func:`infer_shapes` made when inference failed. Anything else (a crashed child) makes the
parent infer shapes itself. Forking is skipped when it is unsafe or does not pay off: not
on Linux, other Python threads running (a lock held by one would stay locked in the
child), model-local functions, or a small graph.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any

#: below this many nodes, forking costs about what it saves
MIN_NODES = 3000


def can_fork(model: Any) -> bool:
    """True when inference of ``model`` may run in a forked child."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    if len(model.graph.node) < MIN_NODES or len(model.functions):
        return False
    return only_python_thread()


def only_python_thread() -> bool:
    """True when the main thread is the only Python thread.

    The child runs Python, so no other Python thread may exist (one could hold the import
    lock or a logging lock forever in the child). Native pools such as OpenBLAS's, which
    numpy starts at import, are idle, handle fork themselves and are never used there.
    """
    return threading.current_thread() is threading.main_thread() and \
        threading.active_count() == 1


class ForkedInference:
    """A child process running ``infer(model, diagnostics, data)`` on the parent's model."""

    def __init__(self, model: Any, data: bytes | None,
                 infer: Callable[[Any, list[str], bytes | None], Any]) -> None:
        self._model = model
        self._infer = infer
        request_read, self._request = os.pipe()
        self._answer, answer_write = os.pipe()
        self._pid = os.fork()
        if self._pid == 0:  # the child: never returns
            os.close(self._request)
            os.close(self._answer)
            _child(model, data, infer, request_read, answer_write)
        os.close(request_read)
        os.close(answer_write)

    def typed_graph(self, diagnostics: list[str]) -> tuple[Any, bool]:
        """``(graph, inferred)``: the graph whose value types to read, and whether they are
        inferred (else the model's own graph, inference having failed)."""
        tag, body = self._ask(b"V")
        if tag == b"V":
            from trnport.analyzers.loaders.onnx.proto import graph_from_bytes

            return graph_from_bytes(body), True
        model, inferred = self._fallback(tag, body, diagnostics)
        return model.graph, inferred

    def full_model(self, diagnostics: list[str]) -> Any:
        """The inferred model, or the model itself (with a note) when inference failed."""
        tag, body = self._ask(b"F")
        if tag == b"F":
            from trnport.analyzers.loaders.onnx.proto import model_from_bytes

            return model_from_bytes(body)
        return self._fallback(tag, body, diagnostics)[0]

    def close(self) -> None:
        """Reap the child (killing it if it was never asked); safe to call twice."""
        if self._pid:
            for fd in (self._request, self._answer):
                try:
                    os.close(fd)
                except OSError:
                    pass
            try:
                if os.waitpid(self._pid, os.WNOHANG) == (0, 0):
                    os.kill(self._pid, 9)
                    os.waitpid(self._pid, 0)
            except ChildProcessError:
                pass
            self._pid = 0

    def _ask(self, request: bytes) -> tuple[bytes, bytes]:
        chunks: list[bytes] = []
        try:
            os.write(self._request, request)
            while chunk := os.read(self._answer, 1 << 20):
                chunks.append(chunk)
        except OSError:
            chunks = []
        finally:
            self.close()
        answer = b"".join(chunks)
        return answer[:1], answer[1:]

    def _fallback(self, tag: bytes, body: bytes, diagnostics: list[str]) -> tuple[Any, bool]:
        if tag == b"E":
            diagnostics.append(body.decode("utf-8", "replace"))
            return self._model, False
        inferred = self._infer(self._model, diagnostics, None)  # the child died
        return inferred, inferred is not self._model


def _child(model: Any, data: bytes | None, infer: Callable, request: int, answer: int) -> None:
    """Infer, wait for the parent's request, answer it and exit without cleanup (the
    parent's atexit handlers, buffers and threads are not the child's to run)."""
    code = 1
    try:
        diagnostics: list[str] = []
        inferred = infer(model, diagnostics, data)
        asked = os.read(request, 1)
        if inferred is model:
            payload = b"E" + "\n".join(diagnostics).encode()
        elif asked == b"V":
            graph = inferred.graph
            graph.ClearField("node")  # the types are all the parent wants
            graph.ClearField("initializer")
            graph.ClearField("sparse_initializer")
            payload = b"V" + graph.SerializeToString()
        else:
            payload = b"F" + inferred.SerializeToString() if asked == b"F" else b""
        if payload:
            view = memoryview(payload)
            while view:
                view = view[os.write(answer, view):]
        code = 0
    finally:
        os._exit(code)
