"""Module paths that existing stacks' state still names, kept resolving after the code moved.

A dynamic resource's state holds its provider pickled by reference: the module path and name of the
provider's class (``dezky_infra.generated_secret.GeneratedSecretProvider`` in a stack made by dezky-infra
0.1). ``pulumi refresh``, ``up`` and ``destroy`` unpickle it, so a module that moved must stay importable
under its old name: ``MOVED`` maps each old path to where the code lives now, and an import of an old path
gets the very module of the new one (the same classes, so state and program agree).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Final

MOVED: Final = {
    "dezky_infra.generated_secret": "dezky_infra.program.generated_secret",
}
"""Old module path -> new one, for every module whose classes a stack's state may name."""


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old path of ``MOVED`` and loads it as the module at its new path."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        return importlib.util.spec_from_loader(fullname, self) if fullname in MOVED else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module: ModuleType) -> None:
        """Nothing: the module at the new path ran already."""


def install() -> None:
    """Make the old paths importable (once per process)."""
    if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
        sys.meta_path.append(_Alias())
