"""Rewrites of the FX graph of a ``torch.export`` program: one module per rewrite, named for
its id (the same name as its ONNX twin in ``rewrites/onnx/``), and the ``engine`` that applies
them in place. Imports torch, never onnx."""
