"""Hazards beyond the operator list: dynamic input dims, host reads, data-dependent control
flow and numerics. Each module reads only the :class:`~trnport.analyzers.graph.Graph` (and the
options it is given) and returns plain frozen records that the TRN3xx/TRN5xx rules turn into
findings."""

from trnport.analyzers.hazards.common import node_location
from trnport.analyzers.hazards.control_flow import (
    DataDependentBranch,
    claimed_nodes,
    data_dependent_branches,
)
from trnport.analyzers.hazards.dynamic_dims import (
    DynamicInput,
    batch_symbols,
    bucket_edges,
    dynamic_inputs,
)
from trnport.analyzers.hazards.host_sync import HostRead, host_reads
from trnport.analyzers.hazards.int_ranges import WideValue, wide_int64_values
from trnport.analyzers.hazards.mask_flow import MaskHazard, mask_hazards
from trnport.analyzers.hazards.numerics import MaskConstant, mask_constants, matmul_depth

__all__ = [
    "DataDependentBranch",
    "DynamicInput",
    "HostRead",
    "MaskConstant",
    "MaskHazard",
    "WideValue",
    "batch_symbols",
    "bucket_edges",
    "claimed_nodes",
    "data_dependent_branches",
    "dynamic_inputs",
    "host_reads",
    "mask_constants",
    "mask_hazards",
    "matmul_depth",
    "node_location",
    "wide_int64_values",
]
