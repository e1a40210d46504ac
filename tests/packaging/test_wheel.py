"""The sdist and the wheel carry the package data, and the wheel installs into an empty venv.

`python -m build` builds the sdist, then the wheel from the sdist, so a file missing from
MANIFEST.in is missing from the wheel too. Runs without network: no build isolation, and
the wheel is installed with ``--no-deps`` (the import check needs no third-party package).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from trnport.analyzers import __version__

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

# Files the installed package reads at run time; one or more of each kind.
PACKAGE_DATA = (
    "resources/neuron/kb.yaml",
    "resources/neuron/kb.compiled.json",
    "resources/neuron/targets.yaml",
    "resources/neuron/profiles.yaml",
    "resources/neuron/dtypes.yaml",
    "resources/neuron/rewrites.yaml",
    "resources/neuron/limits.yaml",
    "resources/neuron/citations.yaml",
    "resources/neuron/hlo.yaml",
    "resources/templates/report.html.j2",
    "resources/templates/report.css",
    "resources/schemas/report.schema.json",
    "resources/schemas/kb.schema.json",
    "resources/rules/TRN101.md",
    "resources/icons/trnport.svg",
    "resources/icons/trnport-256.png",
    "resources/samples/tiny_cnn.onnx",
    "app/history/migrations/env.py",
    "app/history/migrations/script.py.mako",
    "app/history/migrations/versions/0001_initial.py",
)


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    pytest.importorskip("build")
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--skip-dependency-check",
         "--outdir", str(out), str(REPO)],
        capture_output=True, text=True, timeout=600, env=_clean_env(),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    wheels = list(out.glob("trnport-*.whl"))
    sdists = list(out.glob("trnport-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


def test_wheel_and_sdist_names_carry_the_single_defined_version(built):
    assert re.fullmatch(r"trnport-(.+?)-py3-none-any\.whl", built["wheel"].name)[1] == __version__
    assert built["sdist"].name == f"trnport-{__version__}.tar.gz"


def test_wheel_carries_knowledge_base_templates_schemas_and_migrations(built):
    names = set(zipfile.ZipFile(built["wheel"]).namelist())
    missing = [path for path in PACKAGE_DATA if f"trnport/{path}" not in names]
    assert not missing, f"wheel lacks {missing}"
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "build/"))]


def test_sdist_carries_resources_and_migrations(built):
    root = f"trnport-{__version__}"
    names = set(tarfile.open(built["sdist"]).getnames())
    missing = [path for path in (*PACKAGE_DATA, "setup.py", "pyproject.toml", "MANIFEST.in")
               if f"{root}/{path}" not in names]
    assert not missing, f"sdist lacks {missing}"


def test_wheel_installs_into_an_empty_venv_and_finds_its_data(built, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    env = _clean_env()
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         str(built["wheel"])],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    probe = (
        "import importlib.resources, importlib.util, pathlib, trnport.analyzers\n"
        "print(trnport.analyzers.__version__)\n"
        "print(trnport.analyzers.__file__)\n"
        "res = importlib.resources.files('trnport.resources')\n"
        "print(res.joinpath('neuron', 'kb.compiled.json').is_file())\n"
        "hist = importlib.util.find_spec('trnport.app.history').submodule_search_locations[0]\n"
        "print((pathlib.Path(hist) / 'migrations' / 'versions' / '0001_initial.py').is_file())\n"
    )
    result = subprocess.run([str(python), "-c", probe], capture_output=True, text=True,
                            timeout=120, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    version, module_file, has_kb, has_migrations = result.stdout.split()
    assert version == __version__
    assert Path(module_file).is_relative_to(env_dir), "imported the work tree, not the wheel"
    assert has_kb == "True" and has_migrations == "True"
    assert (env_dir / "bin" / "trnport").is_file(), "console script not installed"


def test_wheel_accepts_the_torch_of_both_neuron_stacks(built):
    from packaging.requirements import Requirement

    metadata = zipfile.ZipFile(built["wheel"]).read(
        f"trnport-{__version__}.dist-info/METADATA").decode()
    torch = [Requirement(line.split(":", 1)[1].strip()) for line in metadata.splitlines()
             if line.startswith("Requires-Dist: torch")]
    assert len(torch) == 1 and torch[0].name == "torch" and torch[0].marker is None
    accepted = {v: torch[0].specifier.contains(v) for v in
                ("2.8.0", "2.9.0", "2.9.1", "2.13.0", "2.14.1", "2.15.0")}
    assert accepted == {"2.8.0": False, "2.9.0": True, "2.9.1": True, "2.13.0": True,
                        "2.14.1": True, "2.15.0": False}
