'''xla-training-unsupported: training analysed on PyTorch/XLA where Neuron no longer trains.

## What it flags
`--mode training` on the PyTorch/XLA stack with a Neuron SDK from 2.30 on: the line does not
support training with PyTorch/XLA any more (torch-neuronx 2.9 was the last XLA-based line that
trained, ending with Neuron 2.29).

## Why it fails on Neuron
From Neuron 2.30, PyTorch/XLA is no longer supported for training, and NxD Training with it;
training runs on TorchNeuron, the native PyTorch backend (eager mode or
`torch.compile(backend="neuron")`, with FSDP, DTensor or TorchTitan), which exists on trn2
and trn3 only. A training setup built on torch-xla gets no fixes on these lines.

## Example
```python
# trnport: --mode training --stack xla --sdk 2.32
import torch

model = torch.nn.Sequential(torch.nn.Linear(16, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
example_inputs = (torch.randn(4, 16),)
```

## Suggested rewrite
Train on trn2 or trn3 with TorchNeuron (`--stack torchneuron`; its default there from
Neuron 2.33): move the model with `.to("neuron")`, keep the standard optimizer step and
`torch.distributed` (FSDP, DTensor); or pin a Neuron SDK of 2.29 or older to keep XLA training.

## Source
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/about-neuron/announcements/neuron2.x/announce-no-support-pytorch-xla-training.rst;
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/about-neuron/announcements/neuron2.x/announce-maintenance-nxdt-nxd-core-training.rst;
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/frameworks/torch/pytorch-native-overview.rst
'''

from trnport.analyzers.results import Finding, Location, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN602", symbol="xla-training-unsupported", severity="error", category="porting",
    title="Training on PyTorch/XLA is not supported by this Neuron SDK",
    fix="Train with TorchNeuron on trn2/trn3 (--stack torchneuron), or pin Neuron SDK 2.29 or "
        "older for PyTorch/XLA training",
)


def check(context):
    if context.options.mode != "training" or context.stack_id != "xla":
        return
    profile = context.profile
    if profile is None or profile.training_on_xla_supported:
        return
    family = context.target.family
    torchneuron = context.kb.stacks_offered(profile, family)
    elsewhere = ("TorchNeuron runs training on this target (--stack torchneuron)"
                 if any(stack == "torchneuron" for stack, _ in torchneuron) else
                 "TorchNeuron, the native PyTorch backend that trains from 2.30 on, runs on "
                 "trn2/trn3 only")
    yield Finding(
        code=INFO.code, symbol=INFO.symbol, severity=INFO.severity, category=INFO.category,
        message=(f"Neuron SDK {profile.id} does not support training with PyTorch/XLA "
                 f"(no longer supported from Neuron 2.30); {elsewhere}"),
        fix=INFO.fix, ops=(), nodes=(),
        location=Location(file=context.graph.metadata.get("source_file")),
        provenance=Provenance(kind="rule", source=context.kb.citation("xla_training")),
        confidence="high",
    )
