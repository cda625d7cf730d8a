"""Shrinks Python source for deployment: same code, no docstrings, annotations or type-only imports.

Lambda mounts layers read-only and ships no bytecode, so every cold start compiles the
runtime's source: fewer bytes are less to upload and less to compile. What goes is what
only readers and type checkers use; the code that runs is unchanged (`ast.unparse` of the
same tree). Comments go too, since they are not in the tree.
"""

from __future__ import annotations

import ast


def compact_source(source: str, filename: str = "<runtime>") -> str:
    """The module's code without docstrings, annotations and `if TYPE_CHECKING:` blocks."""
    tree = _Compactor().visit(ast.parse(source, filename))
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _is_string_statement(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Compactor(ast.NodeTransformer):
    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST | None:
        # Postponed annotations matter no more once there are none.
        return None if node.module == "__future__" else node

    def visit_Assign(self, node: ast.Assign) -> ast.AST | None:
        # `TYPE_CHECKING = False` guards only the blocks removed below.
        [*_, last] = node.targets
        if len(node.targets) == 1 and isinstance(last, ast.Name) and last.id == "TYPE_CHECKING":
            return None
        return self.generic_visit(node)

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        for field in ("body", "orelse", "finalbody"):
            statements = getattr(node, field, None)
            if isinstance(statements, list) and statements and isinstance(statements[0], ast.stmt):
                kept = [s for s in statements if not _is_string_statement(s)]
                if not kept and field == "body":
                    kept = [ast.Pass()]
                setattr(node, field, kept)
        return node

    def visit_If(self, node: ast.If) -> ast.AST | list[ast.stmt] | None:
        if _is_type_checking(node.test):
            return [self.visit(s) for s in node.orelse] or None
        return self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST | None:
        if node.value is None:
            return None  # a declaration only: nothing runs
        target = node.target
        return ast.copy_location(ast.Assign(targets=[target], value=node.value), node)

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.annotation = None
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.returns = None
        return self.generic_visit(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        node.returns = None
        return self.generic_visit(node)
