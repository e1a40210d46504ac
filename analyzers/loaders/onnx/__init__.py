"""ONNX models: ``loader`` reads the protobuf without its external data and runs shape
inference (in a forked child when that pays, ``forked``); ``graph`` converts the
``GraphProto`` and its subgraphs into the IR, with ``attributes``, ``types``, ``external`` (the
external-data guard) and ``provenance`` (the source line an exporter recorded). Imports no
torch."""
