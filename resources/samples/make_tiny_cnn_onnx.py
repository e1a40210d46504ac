"""Regenerate ``tiny_cnn.onnx``: a small image classifier exported with torch's dynamo exporter.

    .venv/bin/python resources/samples/make_tiny_cnn_onnx.py

The network is conv → batch-norm (folded into the conv by the exporter) → relu → maxpool,
a second conv block, a nearest-neighbour Resize, global pooling, a linear head (Gemm),
softmax and a TopK whose int64 indices pick class embeddings (Gather) — so the sample has
a float path, an integer path and a data-dependent-looking top-k. The batch dimension is
dynamic. Weights come from ``torch.manual_seed`` and the exporter's stack traces are made
relative to the repository, so the file is the same on every machine with the same torch.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
OUTPUT = HERE / "tiny_cnn.onnx"
SEED = 20240531
IMAGE_SIZE = 32
CLASSES = 10
TOP_K = 3


class TinyCNN(nn.Module):
    """Two conv blocks, an upsample, global pooling and a linear head with top-k."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 8, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.block = nn.Sequential(
            nn.Conv2d(8, 16, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(),
        )
        self.head = nn.Linear(16, CLASSES)
        self.class_embedding = nn.Embedding(CLASSES, 4)

    def forward(self, image: torch.Tensor):
        features = self.block(self.stem(image))
        features = F.interpolate(features, scale_factor=2.0, mode="nearest")
        features = F.max_pool2d(features, 2)
        pooled = F.adaptive_avg_pool2d(features, 1).flatten(1)
        logits = self.head(pooled)
        scores, classes = torch.topk(logits.softmax(dim=-1), TOP_K, dim=-1)
        return logits, scores, classes, self.class_embedding(classes)


def build_model() -> TinyCNN:
    """The classifier with seeded weights and non-trivial batch-norm statistics, in eval mode."""
    torch.manual_seed(SEED)
    model = TinyCNN()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.1, 0.1)
                module.running_var.uniform_(0.5, 1.5)
    return model.eval()


def _relative_traces(path: Path) -> None:
    """Rewrite absolute paths in the exporter's stack traces relative to the repository."""
    import onnx

    model = onnx.load(str(path))
    prefixes = sorted({str(REPO) + "/", sys.prefix + "/"}, key=len, reverse=True)
    for node in model.graph.node:
        for entry in node.metadata_props:
            for prefix in prefixes:
                entry.value = entry.value.replace(prefix, "")
    onnx.save_model(model, str(path))


def main(output: Path = OUTPUT) -> Path:
    """Export the classifier to ``output`` (default :data:`OUTPUT`) and return its path."""
    model = build_model()
    example = torch.randn(2, 3, IMAGE_SIZE, IMAGE_SIZE)
    batch = torch.export.Dim("batch", min=1, max=1024)
    torch.onnx.export(model, (example,), str(output), dynamo=True, external_data=False,
                      input_names=["image"],
                      output_names=["logits", "scores", "classes", "class_embedding"],
                      dynamic_shapes={"image": {0: batch}}, verbose=False)
    _relative_traces(output)
    return output


if __name__ == "__main__":
    written = main()
    print(f"wrote {written.relative_to(REPO)} ({written.stat().st_size} bytes)")
