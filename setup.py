"""Lists the packages under their installed ``trnport.*`` names.

``pyproject.toml`` maps ``trnport.app`` → ``app/`` (and likewise ``analyzers/``,
``resources/``); setuptools' automatic discovery cannot name sub-packages through such a
mapping, so they are enumerated here from the folders themselves.
"""

from setuptools import find_namespace_packages, setup

TOP_LEVEL = ("app", "analyzers", "resources")
packages = [
    f"trnport.{name}"
    for name in find_namespace_packages(include=[f"{top}*" for top in TOP_LEVEL])
    if "__pycache__" not in name
]
setup(packages=packages)
