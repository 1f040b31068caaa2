"""environment.yml stays in step with pyproject.toml."""

import re
import tomllib

import yaml
from conftest import ROOT


def _norm(spec: str) -> str:
    name, rest = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(.*)", spec).groups()
    return name.lower().replace("_", "-") + rest.replace(" ", "")


def test_environment_yml_lists_the_same_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    wanted = {_norm(d) for d in project["dependencies"] + extras["test"] + extras["docs"]}  # what `make install` installs
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    # python itself and pip are not packages of the project (python-docx is)
    conda = {_norm(d) for d in env["dependencies"] if isinstance(d, str) and not re.match(r"(python|pip)([<>=!]|$)", d)}
    pip = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    from_pip = {_norm(d) for d in pip if d != "-e ."}  # packages conda-forge lacks
    assert conda | from_pip == wanted
    assert not conda & from_pip
    assert f"python>={project['requires-python'].removeprefix('>=')}" in env["dependencies"]
