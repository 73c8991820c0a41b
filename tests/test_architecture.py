"""The layout keeps its promises: imports point down (cli -> the other packages -> store
-> errors) and no module imports another that imports it back, also not through an
import inside a function."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "leadcap"
LAYER = {"errors": 0, "store": 1, "intake": 2, "laptops": 2, "export": 2, "output": 3,
         "reports": 3, "cli": 4}  # fmt: skip


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:
                    candidate = f"{target}.{alias.name}"
                    found.add(candidate if candidate in modules else target)
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
        graph[name] = {t for t in found if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in graph[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in graph:
        if module not in index:
            visit(module)
    return found


def layer(module: str) -> int:
    """Its package's layer; -1 for the top-level modules (leadcap, __main__)."""
    parts = module.split(".")
    return LAYER.get(parts[1], -1) if len(parts) > 1 else -1


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_imports_point_down():
    upward = [
        (module, target)
        for module, targets in import_graph().items()
        for target in targets
        if min(layer(module), layer(target)) >= 0 and layer(target) > layer(module)
    ]
    assert upward == []


def test_every_package_says_what_it_is_for():
    for init in ROOT.glob("*/__init__.py"):
        assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), init
