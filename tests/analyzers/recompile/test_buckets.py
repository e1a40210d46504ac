import itertools
import random
from collections import Counter

import pytest

from trnport.analyzers.errors import InputError
from trnport.analyzers.recompile import best_buckets, from_lengths, from_shape_sets, parse_lengths


def _brute_force(lengths, k):
    counts = Counter(lengths)
    values = sorted(counts)
    best = None
    for size in range(1, min(k, len(values)) + 1):
        for inner in itertools.combinations(values[:-1], size - 1):
            edges = [*inner, values[-1]]
            padded = sum(min(e for e in edges if e >= v) * c for v, c in counts.items())
            best = padded if best is None else min(best, padded)
    return best


def test_best_buckets_matches_brute_force_on_random_inputs():
    rng = random.Random(7)
    for _ in range(200):
        lengths = [rng.randint(1, 80) for _ in range(rng.randint(1, 12))]
        k = rng.randint(1, 5)
        assert best_buckets(lengths, k).padded == _brute_force(lengths, k)


def test_buckets_end_at_the_longest_length_and_report_padding():
    result = best_buckets([100, 120, 128, 300, 512, 64], 3)
    assert result.edges == (128, 300, 512)
    assert result.overhead_pct == pytest.approx(100 * 100 / 1224)


def test_observed_lengths_give_graph_count_and_edges():
    estimate = from_lengths(parse_lengths("seq_len,count\n128,10\n130,1\n512,2\n"), 2)
    assert estimate.graphs == 3 and estimate.bucketed_graphs == 2
    assert estimate.dims[0].bucketing.edges == (130, 512)


def test_one_length_needs_no_recompilation_estimate():
    assert from_lengths((64, 64, 64), 4) is None


def test_shape_sets_bucket_the_varying_dim_only():
    sets = [[[1, n]] for n in (17, 64, 100, 128, 300)]
    estimate = from_shape_sets(sets, 2)
    assert estimate.graphs == 5 and estimate.bucketed_graphs == 2
    assert [d.label for d in estimate.dims] == ["input 0, dim 1"]
    assert estimate.dims[0].bucketing.edges[-1] == 300


@pytest.mark.parametrize("text, error", [
    ("", "no lengths"),
    ("length\n12\nabc\n", r"shapes:3: length 'abc' is not a whole number"),
    ("5,-1\n", r"shapes:1: count"),
    ("0\n", "out of range"),
])
def test_bad_shapes_csv_is_a_one_line_input_error(text, error):
    with pytest.raises(InputError, match=error):
        parse_lengths(text)
