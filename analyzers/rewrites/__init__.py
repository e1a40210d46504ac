"""Rewrites: the catalogue's automated ONNX rewrites (pattern, check, replacement) in
``engine``, their proof in ``verify``, and the suggestions a report lists in ``suggest``.

Submodules are imported on use, so a report on a PyTorch model never imports onnx here."""
