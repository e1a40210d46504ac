"""Rewrites: the catalogue's automated ONNX rewrites (pattern, check, replacement) in
``engine``, their proof in ``verify``, the same rewrites on a torch.export program's FX graph
in ``torch_rewrites`` (proved on CPU by ``torch_workflow``), and the suggestions a report lists
in ``suggest``.

Submodules are imported on use, so a report on a PyTorch model never imports onnx here, and
the ONNX path never imports torch."""
