"""docs/ci.md uses the real commands: every trnport command in its examples parses, its
config example loads, and the GitHub and GitLab jobs, run here on sample models, produce
the files their later steps read."""

from __future__ import annotations

import glob
import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO, SAMPLES, run_cli
from trnport.app.cli.config import load_config
from trnport.app.cli.main import _normalise, build_parser

DOC = REPO / "docs" / "ci.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def workflows() -> list[dict]:
    return [yaml.safe_load(block) for block in blocks("yaml")]


def github_commands() -> list[str]:
    (workflow,) = [w for w in workflows() if "jobs" in w]
    steps = workflow["jobs"]["trnport"]["steps"]
    return [step["run"].strip() for step in steps if "trnport check" in step.get("run", "")]


def gitlab_commands() -> list[str]:
    (job,) = [w["trnport"] for w in workflows() if "trnport" in w and "script" in w["trnport"]]
    return [line for line in job["script"] if line.startswith("trnport ")]


def shell_commands() -> list[str]:
    commands = []
    for block in blocks("sh"):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            line = line.split(" #", 1)[0].split(";", 1)[0].strip()
            if line.startswith("trnport "):
                commands.append(line)
    return commands


def test_every_documented_command_parses_with_the_real_parser():
    commands = github_commands() + gitlab_commands() + shell_commands()
    assert len(commands) >= 6
    parser = build_parser()
    for command in commands:
        argv = shlex.split(command)[1:]
        args = parser.parse_args(_normalise(argv))
        assert args.command == "check", command


def test_documented_config_loads(tmp_path):
    (toml,) = blocks("toml")
    path = tmp_path / "pyproject.toml"
    path.write_text(toml, encoding="utf-8")
    values = load_config(path).values
    assert values["formats"] == ["junit", "sarif", "html", "markdown", "json"]
    assert values["ignore"] == ["TRN6"]


def _repo_with_models(tmp_path: Path) -> Path:
    """A checkout like the docs assume: two models and a committed baseline folder."""
    (tmp_path / "models").mkdir()
    for name in ("encoder", "decoder"):
        shutil.copy(SAMPLES / "tiny_cnn.onnx", tmp_path / "models" / f"{name}.onnx")
    return tmp_path


def _coverage_exit(argv: list[str], coverage: float) -> int:
    if "--min-coverage" not in argv:
        return 0
    return 1 if coverage < float(argv[argv.index("--min-coverage") + 1]) else 0


@pytest.mark.slow
def test_github_and_gitlab_jobs_write_what_their_later_steps_read(tmp_path):
    repo = _repo_with_models(tmp_path)
    baseline_cmd = next(c for c in shell_commands() if "trnport-baseline" in c
                        and "--output-dir" in c)
    made = run_cli(*shlex.split(baseline_cmd)[1:], cwd=repo)
    assert made.code in (0, 1), made.stderr
    assert sorted(p.name for p in (repo / "trnport-baseline").iterdir()) == [
        "decoder.json", "encoder.json"]

    coverage = json.loads((repo / "trnport-baseline" / "encoder.json").read_text())[
        "summary"]["coverage_pct"]
    for command in github_commands():
        argv = shlex.split(command)[1:]
        result = run_cli(*argv, cwd=repo)
        # against its own baseline nothing is new: only --min-coverage can fail the gate
        assert "(0 new)" in result.stdout or "--quiet" in argv
        assert result.code == _coverage_exit(argv, coverage), (command, result.stderr)
    assert (repo / "trnport.sarif").is_file()
    assert glob.glob(str(repo / "trnport-reports" / "*.md"))
    shutil.rmtree(repo / "trnport-reports")

    for command in gitlab_commands():
        argv = shlex.split(command)[1:]
        result = run_cli(*argv, cwd=repo)
        assert result.code == _coverage_exit(argv, coverage), (command, result.stderr)
    (job,) = [w["trnport"] for w in workflows() if "trnport" in w and "script" in w["trnport"]]
    junit = glob.glob(str(repo / job["artifacts"]["reports"]["junit"]))
    assert sorted(Path(p).name for p in junit) == ["decoder.junit.xml", "encoder.junit.xml"]
