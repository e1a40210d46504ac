"""The regression corpus is complete and well formed (fast: no case is analysed here)."""

from __future__ import annotations

from collections import Counter

from tests.accuracy import corpus, onnx_repros


def test_corpus_has_enough_documented_failures_and_working_models():
    cases = corpus.load_cases()
    failures = [c for c in cases if not c.expect.working]
    working = [c for c in cases if c.expect.working]
    assert len(cases) >= 120, len(cases)
    assert len(failures) >= 70, len(failures)
    assert len(working) >= 50, len(working)


def test_every_finding_family_has_documented_failures():
    families = Counter(c.family for c in corpus.load_cases() if not c.expect.working)
    assert set(corpus.FAMILIES) <= set(families), families


def test_every_case_names_a_public_source_a_date_and_an_sdk_range():
    for case in corpus.load_cases():
        assert case.source.startswith("https://"), case.id
        assert case.date[:4].isdigit() and case.date[:2] == "20", (case.id, case.date)
        assert case.sdk_min.count(".") >= 1, case.id
        if case.sdk_max is not None:
            assert corpus._version(case.sdk_min) <= corpus._version(case.sdk_max), case.id


def test_onnx_repros_name_an_existing_builder(tmp_path):
    for case in corpus.load_cases():
        if case.repro["kind"] == "onnx":
            path = corpus.build_repro(case, tmp_path)
            assert path.stat().st_size > 0 and hasattr(onnx_repros, case.repro["builder"])


def test_a_case_is_judged_on_the_current_profile_while_its_range_is_open():
    from trnport.analyzers.kb import load_kb

    kb = load_kb()
    by_id = {c.id: c for c in corpus.load_cases()}
    assert corpus.evaluation_profile(by_id["evrf013-topk-int32"], kb) == kb.profile(None).id
    # a failure documented only for 2.27-2.29 is judged on the profile covering those lines
    assert corpus.evaluation_profile(by_id["guide-cuda-device"], kb) == kb.profile("2.29").id
    # a failure documented only for 2.16 has no profile to be judged on
    assert corpus.evaluation_profile(by_id["issue-816-linalg-inv"], kb) is None


def test_scoring_counts_severity_and_op_and_lists_alarms():
    case = next(c for c in corpus.load_cases() if c.id == "evrf013-topk-int32")
    right = corpus.FoundFinding("TRN103", "error", "unsupported_op", ("aten.topk.default",), "")
    softer = corpus.FoundFinding("TRN103", "warning", "unsupported_op", ("aten.topk.default",), "")
    other_op = corpus.FoundFinding("TRN103", "error", "unsupported_op", ("aten.sort.default",), "")
    assert corpus.Outcome(case, "2.34", (right,)).detected
    assert corpus.Outcome(case, "2.34", (softer,)).wrong_severity
    assert not corpus.Outcome(case, "2.34", (other_op,)).detected
    working = next(c for c in corpus.load_cases() if c.expect.working)
    warning = corpus.FoundFinding("TRN202", "warning", "dtype", (), "")
    info = corpus.FoundFinding("TRN403", "info", "memory", (), "")
    result = corpus.score([corpus.Outcome(case, "2.34", (softer,)),
                           corpus.Outcome(working, "2.34", (warning, info))], "2.34")
    assert str(result.recall_current) == "0/1 (0%)"
    assert result.alarms == ((result.alarms[0][0], warning),)  # an info is no alarm
    # no code is excused any more: every warning on a working model fails the gate
    assert corpus.gate_alarms(result) == list(result.alarms)
    assert corpus.pending_alarms(result) == []
