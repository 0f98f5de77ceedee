"""Developer sessions: `nox -s tests lint types docs examples bench`. Each installs what it needs."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "types", "examples"]
nox.options.default_venv_backend = "venv"


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite, as README.md runs it: every shared test on asyncio, trio and threads."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint rules and formatting."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def types(session: nox.Session) -> None:
    """pyright strict over the package, tests and examples, and the public API's type completeness."""
    session.install("-e", ".[test,dev]")
    session.run("pyright")
    session.run("pyright", "--verifytypes", "spawned", "--ignoreexternal")


@nox.session
def examples(session: nox.Session) -> None:
    """Run every example on every backend and compare with its expected output."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", "tests/test_examples.py", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with warnings as errors."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session
def bench(session: nox.Session) -> None:
    """Print the benchmark figures as JSON lines (`nox -s bench -- --quick` for a short run)."""
    session.install("-e", ".[cluster]")
    session.run("python", "-m", "benchmarks", *session.posargs)
    session.run("python", "-m", "benchmarks.maelstrom", *(a for a in session.posargs if a == "--quick"))
    session.run("python", "-m", "benchmarks.cluster", *(a for a in session.posargs if a == "--quick"))


@nox.session
def changelog(session: nox.Session) -> None:
    """Build CHANGELOG.md from changelog.d/ (`nox -s changelog -- --version X.Y.Z`; `--draft` to preview)."""
    session.install("towncrier>=24.8")
    session.run("towncrier", "build", *(session.posargs or ["--draft"]))
