"""Training state per trainable parameter: gradients, optimizer moments, fp32 master weights.

* Gradients have the dtype of the weights being trained (fp32: 4 B; bf16/fp16: 2 B; fp8
  training keeps bf16 gradients: 2 B).
* Adam and AdamW keep two fp32 moments: 8 B per parameter.
* SGD keeps nothing without momentum (torch's default, ``momentum=0``) and one fp32 buffer
  with it; the options carry no momentum setting, so ``sgd`` is costed without momentum and
  :func:`training_state` takes ``sgd_momentum`` for callers who know better.
* Training in bf16/fp16/fp8 keeps an fp32 master copy of the weights for the optimizer step
  (4 B per parameter), as mixed-precision recipes on Neuron do.
* ZeRO-1 shards the optimizer state (moments and master weights) across the ``dp``
  data-parallel ranks; gradients and weights stay whole on every rank.

This matches AWS's rule of thumb of roughly 4 B/param for bf16 weights plus gradients and
4–12 B/param of optimizer state (``about-neuron/arch/neuron-features/neuroncore-batching.rst``).
"""

from __future__ import annotations

from dataclasses import dataclass

_MOMENTS = {"adamw": 2, "adam": 2, "sgd": 0}
_FP32 = 4
_GRADIENT_BYTES = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 2}


@dataclass(frozen=True)
class TrainingState:
    """Bytes of training state for the whole model (before TP/PP sharding).

    ``optimizer_bytes`` and ``master_bytes`` are already divided by ``dp`` when ``zero1``.
    """

    optimizer: str
    gradient_bytes: int
    optimizer_bytes: int
    master_bytes: int
    zero1: bool
    dp: int

    @property
    def total_bytes(self) -> int:
        return self.gradient_bytes + self.optimizer_bytes + self.master_bytes


def training_state(parameters: int, run_dtype: str, optimizer: str, *, zero1: bool = False,
                   dp: int = 1, sgd_momentum: bool = False) -> TrainingState:
    """Gradients, optimizer moments and master weights of ``parameters`` trainable elements."""
    moments = _MOMENTS[optimizer] + (1 if optimizer == "sgd" and sgd_momentum else 0)
    shards = dp if zero1 else 1
    master = _FP32 * parameters if run_dtype != "fp32" else 0
    return TrainingState(
        optimizer=optimizer,
        gradient_bytes=_GRADIENT_BYTES[run_dtype] * parameters,
        optimizer_bytes=-(-moments * _FP32 * parameters // shards),
        master_bytes=-(-master // shards),
        zero1=zero1, dp=dp,
    )
