"""#22: no import cycle among the `idp` modules - lazy imports inside functions included (a cycle hidden
in a function is still two modules that each need the other). The one that was: local/aws_server ->
local/moto_fixes -> local/iam_actions -> local/aws_server (now: both read idp.local.calls)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO_ROOT

TOOLS = REPO_ROOT / "tools"


def module_name(path: Path, root: Path) -> str:
    name = ".".join(path.with_suffix("").relative_to(root).parts)
    return name.removesuffix(".__init__")


def import_graph(root: Path) -> dict[str, set[str]]:
    modules = {module_name(p, root): p for p in root.glob("idp/**/*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "idp":
                targets = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every module on a cycle, one cycle each (depth-first, colouring)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_no_idp_module_imports_itself_back() -> None:
    graph = import_graph(TOOLS)
    assert len(graph) > 50
    assert cycles(graph) == []


def test_a_cycle_is_found(tmp_path: Path) -> None:
    """The check can fail: the old cycle, written out, is found."""
    package = tmp_path / "idp" / "local"
    package.mkdir(parents=True)
    (tmp_path / "idp" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "aws_server.py").write_text("from idp.local import moto_fixes\n")
    (package / "moto_fixes.py").write_text("def f():\n    from idp.local.iam_actions import condition_holds\n")
    (package / "iam_actions.py").write_text("from idp.local.aws_server import Call\n")
    assert cycles(import_graph(tmp_path)) == [
        ["idp.local.aws_server", "idp.local.moto_fixes", "idp.local.iam_actions", "idp.local.aws_server"]
    ]
