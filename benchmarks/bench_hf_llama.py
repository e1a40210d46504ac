"""Whole ``trnport check`` of Llama configs with 7B and 70B dimensions: wall time and peak RSS.

Targets (DESIGN.md, Performance; absolute, whole subprocess including interpreter start and
imports): 7B dims under 10 s and under 1 GiB peak RSS; 70B dims under 20 s and under 1.5 GiB.
The reported parameter count must equal the count the Llama architecture gives for those
dimensions (6,738,415,616 for the 7B dims, as Meta's Llama-2-7B).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import benchlib

LLAMA_7B = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama",
    "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
    "num_attention_heads": 32, "num_key_value_heads": 32, "vocab_size": 32000,
    "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
    "hidden_act": "silu", "tie_word_embeddings": False, "torch_dtype": "float16",
    "bos_token_id": 1, "eos_token_id": 2,
}
LLAMA_70B = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama",
    "hidden_size": 8192, "intermediate_size": 28672, "num_hidden_layers": 80,
    "num_attention_heads": 64, "num_key_value_heads": 8, "vocab_size": 128256,
    "max_position_embeddings": 8192, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
    "hidden_act": "silu", "tie_word_embeddings": False, "torch_dtype": "bfloat16",
    "bos_token_id": 128000, "eos_token_id": 128001,
}
# name, config, time limit (s), peak RSS limit (bytes)
CASES = (
    ("llama-7B dims", LLAMA_7B, 10.0, 1 * benchlib.GIB),
    ("llama-70B dims", LLAMA_70B, 20.0, int(1.5 * benchlib.GIB)),
)
PUBLISHED_7B_PARAMS = 6_738_415_616


def llama_param_count(config: dict) -> int:
    """Parameters of a LlamaForCausalLM with these dimensions, from the architecture.

    Per layer: q and o projections (hidden x hidden), k and v projections (hidden x kv_heads
    * head_dim), gate/up/down MLP (3 x hidden x intermediate), two RMSNorm weights; plus the
    embedding, the final norm and (untied) the LM head. Llama has no biases.
    """
    hidden, inter = config["hidden_size"], config["intermediate_size"]
    head_dim = hidden // config["num_attention_heads"]
    kv = config["num_key_value_heads"] * head_dim
    per_layer = 2 * hidden * hidden + 2 * hidden * kv + 3 * hidden * inter + 2 * hidden
    embeddings = config["vocab_size"] * hidden
    head = 0 if config["tie_word_embeddings"] else embeddings
    return config["num_hidden_layers"] * per_layer + embeddings + hidden + head


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs per config; the median time and the highest RSS count")
    args = parser.parse_args(argv)
    # the formula itself is checked against the published 7B count before it checks anything
    assert llama_param_count(LLAMA_7B) == PUBLISHED_7B_PARAMS

    rows: list[benchlib.Row] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="trnport-bench-llama-") as folder:
        for name, config, time_limit, rss_limit in CASES:
            model_dir = Path(folder) / name.replace(" ", "_")
            model_dir.mkdir()
            (model_dir / "config.json").write_text(json.dumps(config, indent=2))
            runs = [benchlib.run_child(benchlib.check_json(model_dir))
                    for _ in range(args.repeats)]
            try:
                reports = [benchlib.parse_report(run, model_dir) for run in runs]
            except RuntimeError as error:
                print(f"could not run: {error}")
                return benchlib.COULD_NOT_RUN
            walls = [run.wall_s for run in runs]
            rows += [
                benchlib.seconds_row(f"{name}: wall time, median of {args.repeats}",
                                     benchlib.median(walls), time_limit),
                benchlib.rss_row(f"{name}: peak RSS, highest of {args.repeats}",
                                 max(run.peak_rss_bytes for run in runs), rss_limit),
                benchlib.equal_row(f"{name}: reported parameters",
                                   reports[-1]["model"]["params"], llama_param_count(config)),
                benchlib.info_row(f"{name}: CPU time (user+sys), median",
                                  f"{benchlib.median([run.cpu_s for run in runs]):.2f} s"),
                benchlib.info_row(f"{name}: reported nodes", f"{reports[-1]['model']['nodes']:,}"),
            ]
            notes.append(f"{name} wall times (s): {benchlib.spread(walls)}; exit codes "
                         f"{[run.returncode for run in runs]}")
    baseline = benchlib.run_child([*benchlib.trnport_command(), "--version"])
    rows.append(benchlib.info_row("reference: `trnport --version` wall / peak RSS",
                                  f"{baseline.wall_s:.2f} s / "
                                  f"{benchlib.format_bytes(baseline.peak_rss_bytes)}"))
    notes.insert(0, "measured: `trnport check <folder with config.json> --no-history --format "
                 "json` as a subprocess; peak RSS is the command's own ru_maxrss (wait4, "
                 "forked from a tiny launcher)")
    return benchlib.print_table("Hugging Face Llama configs: whole trnport check", rows,
                                tuple(notes))


if __name__ == "__main__":
    sys.exit(main())
