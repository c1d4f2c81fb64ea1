"""The house rules of ARCHITECTURE.md, checked on the source: imports go downhill.

Every import counts, also those inside functions (a lazy import is still a dependency). Allowed loops: a task
module and the service module of its own room calling each other.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("applications", "funding", "reports", "wir_portal")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _graph() -> dict[str, set[str]]:
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            modules[_module_name(path)] = path
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".")
                    anchor = anchor if is_package else anchor[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            for target in targets:
                # the longest known module the target names ("a.b.c" for "from a.b import c" when c is a module)
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def _task_service_pair(component: list[str]) -> bool:
    """The one allowed loop: <room>.tasks and the service module(s) of the same room."""
    if len(component) != 2:
        return False
    rooms = {name.rpartition(".")[0] for name in component}
    leaves = {name.rpartition(".")[2] for name in component}
    return len(rooms) == 1 and "tasks" in leaves


def test_no_import_loops_but_task_and_its_service():
    loops = [c for c in _cycles(_graph()) if not _task_service_pair(c)]
    assert loops == [], f"import loops: {loops}"


def test_funding_is_the_ground_floor():
    graph = _graph()
    upward = {(m, t) for m, ts in graph.items() if m.startswith("funding") for t in ts
              if not t.startswith("funding") and t.split(".")[0] in PACKAGES
              and t not in ("wir_portal.money", "wir_portal.forms")}  # leaves: import only Django and money
    assert upward == set()


def test_nothing_imports_reports_or_bench():
    graph = _graph()
    offenders = {(m, t) for m, ts in graph.items() for t in ts
                 if (t.startswith("reports") and not m.startswith("reports"))
                 or (t.startswith("wir_portal.bench") and not m.startswith("wir_portal.bench"))}
    assert offenders == set()


def test_the_checker_sees_a_loop():
    """The loop finder itself can fail: a made-up two-module loop is reported."""
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    assert not _task_service_pair(["applications.models", "applications.services"])
    assert _task_service_pair(["applications.payments.services", "applications.payments.tasks"])
