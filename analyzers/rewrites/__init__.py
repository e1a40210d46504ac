"""Rewrites. Each automated rewrite is declared once, as data in
``resources/neuron/rewrites.yaml`` (title, what it matches, the ids it answers, before/after
code, source-line edits), and implemented under its own name in ``onnx/`` (on an ONNX
``GraphProto``) and ``fx/`` (on a torch.export program's FX graph); ``registry`` lists them in
the order they are applied. ``verify`` proves a rewrite (``trnport.analyzers.rewriting`` runs
the whole apply → prove → re-analyse loop), ``suggest`` makes the report's suggestions and
``source_diff`` the suggested edits of a PyTorch user's source line.

Submodules are imported on use, so a report on a PyTorch model never imports onnx here, and
the ONNX path never imports torch."""
