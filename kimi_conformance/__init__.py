"""kimi-conformance's own import name, with a guard against a shadowed `harness`.

The implementation lives in the package `harness`, a generic name: in a user's environment
another package or folder called `harness` (earlier on sys.path) could stand in its place. This
package has a name nobody else uses; the pytest plugin and the command line enter through it, and
it checks first that `harness` is really kimi-conformance's (`shadowing_problem`), failing with one
line instead of a confusing traceback.

    from kimi_conformance import ConformanceSuite   # same object as harness.pytest_plugin.suite_class.ConformanceSuite
    from kimi_conformance import CaseError, NotExpressible, Target, Capabilities   # for a target of your own

The conformance suites and the contract ship here too, as the same files as the repository's
suites/, cassettes/ and docs/contract.md (pyproject.toml's package-dir): `pytest --pyargs
kimi_conformance.suites --kimi-target SPEC` runs them, `kimi-conformance contract` prints the contract.
"""

from __future__ import annotations

from typing import Any

DISTRIBUTION = "kimi-conformance"
# the public names, each from the module that defines it (imported when first asked for)
_PUBLIC = {
    "ConformanceSuite": "harness.pytest_plugin.suite_class",
    "CaseError": "harness.errors",
    "NotExpressible": "harness.targets.base",
    "Target": "harness.targets.base",
    "Capabilities": "harness.targets.base",
}


def shadowing_problem() -> str | None:
    """One line saying why `harness` is not kimi-conformance's, or None when it is."""
    try:
        import harness
    except Exception as e:
        return f"kimi-conformance: cannot import its package `harness` ({type(e).__name__}: {e}); reinstall kimi-conformance"
    if getattr(harness, "DISTRIBUTION", None) != DISTRIBUTION:
        where = getattr(harness, "__file__", None) or list(getattr(harness, "__path__", []))
        return (
            f"kimi-conformance: the module `harness` imported from {where} is not kimi-conformance's — another "
            "package or folder named `harness` shadows it; rename it or use a separate virtualenv"
        )
    return None


def check() -> None:
    """Raise ImportError with `shadowing_problem`'s line when `harness` is not ours."""
    problem = shadowing_problem()
    if problem:
        raise ImportError(problem)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        import importlib

        check()
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    if name == "__version__":
        check()
        import harness

        return harness.__version__
    raise AttributeError(f"module 'kimi_conformance' has no attribute {name!r}")


__all__ = [
    "DISTRIBUTION",
    "Capabilities",
    "CaseError",
    "ConformanceSuite",
    "NotExpressible",
    "Target",
    "check",
    "shadowing_problem",
]
