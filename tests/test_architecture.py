"""The layout's own rules, the ones import-linter cannot see: public faces and private names.

import-linter (run by ``make test``) checks which package may import which. These tests check
what each module offers: every module says its public names in ``__all__``, every package
lists its modules, and no module reaches into another's underscore names.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "followup"
MIGRATIONS = PACKAGE / "db" / "migrations"


def _modules() -> list[Path]:
    return sorted(
        p for p in PACKAGE.rglob("*.py") if MIGRATIONS not in p.parents and p.name != "__main__.py"
    )


def _name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _declared_all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                value = node.value
                assert isinstance(value, ast.List | ast.Tuple), "__all__ must be a literal list"
                return [ast.literal_eval(e) for e in value.elts]
    return None


def _underscore_imports(path: Path) -> list[str]:
    """``from followup.x import _y`` where x is another module: a private name used outside."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("followup"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(
                        f"{path.relative_to(SRC)}:{node.lineno} {node.module}.{alias.name}"
                    )
    return found


def test_no_module_imports_another_modules_private_names():
    tests = Path(__file__).resolve().parent
    found = [f for p in [*_modules(), *tests.rglob("*.py")] for f in _underscore_imports(p)]
    assert found == []


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_every_module_declares_its_public_names(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = _declared_all(tree)
    assert names is not None, f"{_name(path)} has no __all__"
    assert ast.get_docstring(tree), f"{_name(path)} has no docstring saying what it is for"
    if path.name == "__init__.py":
        # A package's public face is its modules: each is listed, and nothing else is.
        children = {
            p.stem if p.suffix == ".py" else p.name
            for p in path.parent.iterdir()
            if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
        } - {"__main__", "migrations"}
        assert children <= set(names), f"{_name(path)}.__all__ misses {children - set(names)}"
    else:
        defined = set()
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
                defined.add(node.name)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    names_in = target.elts if isinstance(target, ast.Tuple) else [target]
                    defined.update(t.id for t in names_in if isinstance(t, ast.Name))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                defined.add(node.target.id)
            elif isinstance(node, ast.ImportFrom | ast.Import):
                defined.update((a.asname or a.name).split(".")[0] for a in node.names)
        missing = [n for n in names if n not in defined]
        assert missing == [], f"{_name(path)}.__all__ names what it does not define: {missing}"
