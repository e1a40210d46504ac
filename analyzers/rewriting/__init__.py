"""Rewrite a model file end to end: apply the automated rewrites of ``rewrites/``, prove each
against the original, keep the proven ones, and re-analyse the result with
:func:`trnport.analyzers.api.analyze` (which is why this sits above ``api``). ``onnx`` takes
``.onnx`` files, ``torch`` ``.pt2`` and Python model files; ``outcome`` is what both return."""
