"""Coverage per package, and the coverage floor of the whole suite (a pytest plugin).

pytest-cov measures line and branch coverage of every run (`[tool.coverage.*]` and `addopts` in
pyproject.toml). After the run this plugin prints one line per package (`shared`, `flows`,
`gateway`, each `services/<name>`) and, only when the whole suite ran (`pytest` without paths,
as the README's test command and `.ci/run` call it), fails the run below `coverage_floor`
(an ini option in pyproject; `-o coverage_floor=NN` overrides it). A run of one folder prints
its numbers but is never held to the suite's floor.
"""

from __future__ import annotations

import io
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[1]
TOP_PACKAGES = ("shared", "flows", "gateway", "deploy", "console")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "coverage_floor",
        "Line+branch coverage (percent) the whole suite must reach; 0 turns the floor off.",
        default="0",
    )


def _packages() -> list[str]:
    services = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists())
    return [*TOP_PACKAGES, *(f"services/{name}" for name in services)]


def _percent(cov: Any, include: str) -> float | None:
    try:
        return float(cov.report(include=[include], file=io.StringIO()))
    except Exception:  # coverage raises NoDataError when nothing of the package ran
        return None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    # Outermost wrapper: pytest-cov's own wrapper has finished and saved the data when we resume.
    result = yield
    plugin = session.config.pluginmanager.getplugin("_cov")
    controller = getattr(plugin, "cov_controller", None)
    if controller is None or session.config.option.collectonly:
        return result
    cov = controller.cov
    reporter = session.config.pluginmanager.getplugin("terminalreporter")
    lines = ["coverage per package (lines + branches):"]
    for package in _packages():
        percent = _percent(cov, f"{ROOT / package}/*")
        shown = "not run" if percent is None else f"{percent:6.2f}%"
        lines.append(f"  {package:<24} {shown}")
    total = _percent(cov, f"{ROOT}/*")
    lines.append(f"  {'TOTAL':<24} {'not run' if total is None else f'{total:6.2f}%'}")
    floor = float(session.config.getini("coverage_floor") or 0)
    whole_suite = session.config.args_source is pytest.Config.ArgsSource.TESTPATHS
    if whole_suite and floor > 0:
        lines.append(f"  floor of the whole suite: {floor:.2f}%")
    if reporter is not None:
        reporter.write_line("")
        for line in lines:
            reporter.write_line(line)
    if whole_suite and floor > 0 and (total or 0.0) < floor:
        message = f"coverage {total or 0.0:.2f}% is below the floor of {floor:.2f}%"
        if reporter is not None:
            reporter.write_line(f"ERROR: {message}", red=True, bold=True)
        session.testsfailed += 1
    return result
