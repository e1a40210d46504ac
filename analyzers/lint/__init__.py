"""Porting-code lint: GPU-only constructs in training scripts and model files, found from the
syntax tree without running the code."""

from trnport.analyzers.lint.engine import LintIssue, lint_file, lint_source

__all__ = ["LintIssue", "lint_file", "lint_source"]
