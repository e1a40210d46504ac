"""Rewrites of an ONNX ``GraphProto``: one module per rewrite, named for its id, and the
``engine`` that matches, checks and replaces nodes over a ``context`` of the graph. Imports
onnx, never torch."""
