"""The one table of finding codes: code → the module that implements the rule.

Codes are stable forever; a retired code stays here, commented, and is never reused.
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType

RULE_MODULES: dict[str, str] = {
    "TRN101": "trn101_unsupported_op",
    "TRN102": "trn102_host_fallback",
    "TRN103": "trn103_unsupported_configuration",
    "TRN104": "trn104_degraded_configuration",
    "TRN105": "trn105_unknown_op",
    "TRN106": "trn106_custom_op",
    "TRN107": "trn107_op_not_decomposable",
    "TRN108": "trn108_training_coverage_incomplete",
    "TRN201": "trn201_fp64_silently_fp32",
    "TRN202": "trn202_int64_downcast",
    "TRN203": "trn203_complex_dtype",
    "TRN204": "trn204_fp8_variant_unsupported",
    "TRN205": "trn205_integer_compute_on_float_path",
    "TRN206": "trn206_int16_widened",
    "TRN301": "trn301_data_dependent_output_shape",
    "TRN302": "trn302_dynamic_input_dims",
    "TRN303": "trn303_host_sync",
    "TRN304": "trn304_data_dependent_control_flow",
    "TRN305": "trn305_export_stopped_at_data_dependent_guard",
    "TRN401": "trn401_does_not_fit_per_core",
    "TRN402": "trn402_needs_tensor_parallel",
    "TRN403": "trn403_sharding_constraint",
    "TRN404": "trn404_instruction_count_risk",
    "TRN405": "trn405_unrolled_recurrence",
    "TRN409": "trn409_tensor_beyond_device_memory",
    "TRN501": "trn501_bf16_mask_constant",
    "TRN502": "trn502_known_issue_by_sdk",
    "TRN503": "trn503_autocast_precision_risk",
    "TRN310": "trn310_recompilation_per_input_shape",
    "TRN601": "trn601_inplace_dropout_in_training",
    "TRN602": "trn602_xla_training_unsupported",
    "TRN701": "trn701_cuda_device_placement",
    "TRN702": "trn702_cuda_runtime_call",
    "TRN703": "trn703_nccl_process_group",
    "TRN704": "trn704_cuda_autocast",
    "TRN705": "trn705_cuda_only_library",
    "TRN706": "trn706_host_sync_in_step_loop",
    "TRN707": "trn707_missing_step_boundary",
    "TRN708": "trn708_torch_xla_api",
    "TRN709": "trn709_xla_inference_api",
    "TRN710": "trn710_torch_compile_option",
    "TRN711": "trn711_xla_bf16_with_auto_cast_none",
}


@cache
def rule_module(code: str) -> ModuleType:
    """The module of rule ``code`` (KeyError for a code that does not exist)."""
    return importlib.import_module(f"trnport.analyzers.rules.{RULE_MODULES[code]}")


def all_rules() -> list[ModuleType]:
    return [rule_module(code) for code in RULE_MODULES]


def find_rule(code_or_symbol: str) -> ModuleType | None:
    """A rule by code (``TRN101``, any case) or symbol (``unsupported-op``)."""
    key = code_or_symbol.strip()
    if key.upper() in RULE_MODULES:
        return rule_module(key.upper())
    for module in all_rules():
        if module.INFO.symbol == key.lower():
            return module
    return None
