"""PyTorch models: ``pt2`` (``torch.export.save`` archives, read as JSON), ``torchscript``
(``torch.jit.save`` archives; pickles scanned, never loaded), ``python_file`` (a trusted model
file, exported), ``fx_graph`` (the FX → IR conversion they share), ``layer_replication`` (a deep
layer stack grown on the IR), ``pins`` (``--input-shape`` against an exported program),
``guards`` (what is analysed when export stops at a data-dependent guard) and ``archive``
(which reader a zip needs). Each module imports torch inside its functions."""
