"""Which PyTorch stack an analysis runs on: the stacks an SDK line offers a target family,
the line's default, and the one-line refusal when the stack asked for is not there.

Every analysis is for one (target family, SDK profile, stack). inf2 and trn1 have PyTorch/XLA
on every line; trn2 and trn3 have TorchNeuron only from 2.34, both (TorchNeuron the default,
XLA deprecated) on 2.33, and XLA with TorchNeuron as a beta before that. That matrix is data
(``profiles.yaml``: ``stacks``, ``default_stack``); this module only reads it.
"""

from __future__ import annotations

from collections.abc import Mapping

from trnport.analyzers.errors import InputError
from trnport.analyzers.kb.model import Profile, StackChoice, StackSpec


def offered(profile: Profile, family: str) -> list[tuple[str, str]]:
    """The stacks ``profile`` offers ``family``, as (stack id, status), default first."""
    found = [(stack_id, offer.targets[family]) for stack_id, offer in profile.stacks.items()
             if family in offer.targets]
    default = profile.default_stack.get(family)
    return sorted(found, key=lambda pair: pair[0] != default)


def _families(profile: Profile) -> list[str]:
    return sorted({family for offer in profile.stacks.values() for family in offer.targets})


def choose(specs: Mapping[str, StackSpec], profile: Profile, family: str,
           requested: str | None = None) -> StackChoice:
    """The stack for ``family`` on ``profile``: ``requested``, or the line's default.

    Raises InputError (one line, naming what is available instead) when the family has no
    stack on this line or the requested one is not offered."""
    available = offered(profile, family)
    if not available:
        raise InputError(f"Neuron SDK {profile.id} supports no PyTorch stack on {family} "
                         f"(its targets: {', '.join(_families(profile))}); choose another "
                         f"--sdk or --target")
    wanted = requested or profile.default_stack.get(family) or available[0][0]
    spec = specs.get(wanted)
    if spec is None:
        raise InputError(f"unknown stack {wanted!r}; choose one of {', '.join(specs)}")
    status = dict(available).get(wanted)
    if status is None:
        raise InputError(_refusal(specs, profile, family, wanted, available))
    return StackChoice(
        spec=spec, offer=profile.stacks[wanted], status=status,
        default=wanted == profile.default_stack.get(family), profile=profile.id,
        family=family,
        alternatives=tuple(pair for pair in available if pair[0] != wanted),
    )


def _refusal(specs: Mapping[str, StackSpec], profile: Profile, family: str, wanted: str,
             available: list[tuple[str, str]]) -> str:
    spec = specs[wanted]
    offer = profile.stacks.get(wanted)
    why = offer.withdrawn.get(family) if offer is not None else None
    text = spec.unavailable.format(family=family, profile=profile.id, stack=spec.name)
    if why:
        text = f"{text}: {' '.join(why.split())}"
    choices = ", ".join(f"--stack {stack_id} ({specs[stack_id].name}, "
                        f"{status.replace('-', ' ')})" for stack_id, status in available)
    return f"{text}; use {choices}"
