"""The package's layers point one way, and its modules import each other without cycles.

Read from the source (the AST of every module under voc/), so nothing is imported or loaded.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "voc"

LAYERS = (
    ("voc", "voc.config", "voc.paths", "voc.logging"),
    ("voc.storage",),
    ("voc.nlp",),
    ("voc.registry",),
    ("voc.topics", "voc.alerts"),
    ("voc.report",),
    ("voc.jobs",),
    ("voc.service",),
    ("voc.cli",),
)
"""Lowest first: a module imports only from its own layer or lower ones. The one statement of
the intended layering (docs/architecture.md, "Layers", points here)."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def layer(module: str) -> int | None:
    for index, names in enumerate(LAYERS):
        if any(module == n or (n != "voc" and module.startswith(n + ".")) for n in names):
            return index
    return None


def imported_modules(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The voc modules an import statement names (`from voc.x import y` is `voc.x.y` when y
    is a module, else `voc.x`)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".")
            if MODULES[module].name != "__init__.py":
                package = package[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join([*package, base] if base else package)
        names = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
            for alias in node.names
        ]
    return [n for n in names if n == "voc" or n.startswith("voc.")]


def is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test) in (
        "TYPE_CHECKING",
        "typing.TYPE_CHECKING",
    )


def imports(module: str) -> list[tuple[ast.Import | ast.ImportFrom, str]]:
    """Every import statement of `module` with where it sits: "module" (runs on import),
    "typing" (under `if TYPE_CHECKING:`, never runs) or "function" (runs when called)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: list[tuple[ast.Import | ast.ImportFrom, str]] = []

    def visit(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append((child, where))
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(child, "function")
            elif isinstance(child, ast.stmt) and is_type_checking(child):
                visit(child, "typing")
            else:
                visit(child, where)

    visit(tree, "module")
    return found


def test_every_module_has_a_layer():
    assert [m for m in MODULES if layer(m) is None] == []


def test_no_module_imports_from_a_higher_layer():
    upward = [
        f"{MODULES[module].relative_to(ROOT.parent)}:{node.lineno} {module} -> {target}"
        for module in MODULES
        for node, _ in imports(module)
        for target in imported_modules(module, node)
        if layer(target) > layer(module)
    ]
    assert upward == []


def test_voc_modules_import_each_other_at_module_level():
    """A function-level import of a voc module hides a cycle or a layer breach (heavy
    third-party libraries may still be imported where they are used)."""
    deferred = [
        f"{MODULES[module].relative_to(ROOT.parent)}:{node.lineno} {ast.unparse(node)}"
        for module in MODULES
        for node, where in imports(module)
        if where == "function" and imported_modules(module, node)
    ]
    assert deferred == []


def runtime_dependencies(module: str) -> set[str]:
    """Modules that importing `module` imports first: its module-level voc imports and the
    packages above each (importing voc.a.b runs voc/a/__init__.py)."""
    out = set()
    for node, where in imports(module):
        if where != "module":
            continue
        for target in imported_modules(module, node):
            parts = target.split(".")
            for i in range(2, len(parts) + 1):
                name = ".".join(parts[:i])
                if name in MODULES and name != module and not module.startswith(name + "."):
                    out.add(name)
    return out


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that returns to its start, or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_no_import_cycles():
    """Imports under `if TYPE_CHECKING:` never run, so they are not part of a cycle."""
    graph = {module: runtime_dependencies(module) for module in MODULES}
    assert find_cycle(graph) is None


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ],
)
def test_find_cycle_finds_one(graph, expected):
    assert find_cycle(graph) == expected


def test_relative_and_package_imports_resolve():
    node = ast.parse("from .store import Registry").body[0]
    assert imported_modules("voc.registry.loader", node) == ["voc.registry.store"]
    node = ast.parse("from voc.service import jobs").body[0]
    assert imported_modules("voc.cli", node) == ["voc.service.jobs"]
    assert layer("voc.service.jobs") > layer("voc.jobs.store") > layer("voc.storage")


def test_the_architecture_page_states_these_layers():
    """docs/architecture.md writes the layers as `config, paths, logging < storage < ...`;
    it must name the same layers, in the same order, as LAYERS."""
    page = (ROOT.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    sentence = " ".join(page.split("Layers point one way:", 1)[1].split(";", 1)[0].split())
    documented = [{name.strip() for name in group.split(",")} for group in sentence.split("<")]
    expected = [{n.removeprefix("voc.") for n in names if n != "voc"} for names in LAYERS]
    assert documented == expected
