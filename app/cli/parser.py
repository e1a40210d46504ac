"""An argparse parser whose errors are one line, and the option groups commands share."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from trnport.analyzers.options import DTYPES, MODES, OPTIMIZERS, STACKS, TARGET_FAMILIES
from trnport.app.cli.exit_codes import BAD_INPUT

SEVERITY_LEVELS = ("error", "warning", "info", "none")
REPORT_FORMATS = ("text", "json", "html", "junit", "sarif", "markdown", "model-explorer")


class UsageError(Exception):
    """A command-line mistake; the message is one line."""


class OneLineParser(argparse.ArgumentParser):
    """Raises :class:`UsageError` instead of printing usage and exiting, so every bad
    invocation ends with the same one-line error and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stderr.write(message)
        raise SystemExit(status if status == 0 else BAD_INPUT)


def positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {number}")
    return number


_SHAPE_DTYPES = ("float32", "float16", "bfloat16", "float64", "int64", "int32", "int16",
                 "int8", "uint8", "bool")


def input_shape(text: str) -> tuple[str, tuple[int, ...], str | None]:
    """``NAME=1x128[:dtype]`` → (name, shape, dtype or None)."""
    name, sep, rest = text.partition("=")
    name = name.strip()
    if not sep or not name or not rest.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=DIMS[:DTYPE] like ids=1x128:int64, "
                                         f"got {text!r}")
    dims_text, _, dtype = rest.strip().partition(":")
    try:
        dims = tuple(int(d) for d in dims_text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"dims of {name!r} must be whole numbers joined by "
                                         f"'x' (e.g. 1x128), got {dims_text!r}") from None
    if any(d < 0 or d > 10**9 for d in dims):
        raise argparse.ArgumentTypeError(f"dims of {name!r} must be from 0 to 10**9, "
                                         f"got {dims_text!r}")
    dtype = dtype.strip() or None
    if dtype is not None and dtype not in _SHAPE_DTYPES:
        raise argparse.ArgumentTypeError(f"unknown dtype {dtype!r} for {name!r}; choose one "
                                         f"of {', '.join(_SHAPE_DTYPES)}")
    return name, dims, dtype


def percentage(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage, got {text!r}") from None
    if not 0 <= number <= 100:
        raise argparse.ArgumentTypeError(f"expected a percentage from 0 to 100, got {number}")
    return number


def add_target_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("target")
    group.add_argument("--target", default="trn2", choices=TARGET_FAMILIES,
                       help="Neuron hardware family (default: trn2)")
    group.add_argument("--instance", help="instance type, e.g. trn1.32xlarge (default: the "
                       "family's default instance, e.g. trn2.48xlarge)")
    group.add_argument("--mode", default="inference", choices=MODES,
                       help="inference or training (default: inference)")
    group.add_argument("--dtype", default="bf16", choices=DTYPES,
                       help="dtype the model will run in (default: bf16)")
    group.add_argument("--batch", type=positive_int, default=1,
                       help="batch size for example inputs built from a config (default: 1)")
    group.add_argument("--seq-len", type=positive_int, default=None,
                       help="sequence length for example inputs built from a config")
    group.add_argument("--tp", type=positive_int, default=None,
                       help="tensor-parallel degree to analyse (default: the smallest that "
                       "fits the instance; a given degree that does not fit is an error)")
    group.add_argument("--ep", type=positive_int, default=1,
                       help="expert-parallel degree of mixture-of-experts layers; divides "
                       "--tp (default: 1)")
    group.add_argument("--pp", type=positive_int, default=None,
                       help="pipeline-parallel stages (default: 1, or more when no TP degree "
                       "alone fits and --tp is not given)")
    group.add_argument("--dp", type=positive_int, default=1,
                       help="data-parallel ranks, for sharded optimizer state (default: 1)")
    group.add_argument("--optimizer", default="adamw", choices=OPTIMIZERS,
                       help="optimizer whose state training needs (default: adamw)")
    group.add_argument("--zero1", action="store_true",
                       help="shard optimizer state across the --dp ranks (ZeRO-1)")
    group.add_argument("--input-shape", action="append", type=input_shape, default=None,
                       dest="input_shape", metavar="NAME=DIMS[:DTYPE]",
                       help="pin a model input's symbolic dims (ONNX, .pt2 and Python models), "
                       "e.g. input_ids=1x128:int64 (repeatable)")
    group.add_argument("--sdk", default=None,
                       help="Neuron SDK profile, e.g. 2.31 (default: the newest known)")
    group.add_argument("--stack", default=None, choices=STACKS,
                       help="PyTorch stack: xla (PyTorch/XLA, torch-neuronx 2.9) or torchneuron "
                       "(native TorchNeuron, trn2/trn3) (default: the SDK line's default for the "
                       "target: torchneuron on trn2/trn3 from 2.33, else xla)")
    group.add_argument("--trust-code", action="store_true",
                       help="allow running a Python model file (it executes its code)")
