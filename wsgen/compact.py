"""Shrinks Python source for deployment: same code, no docstrings, comments or annotations.

Lambda mounts layers read-only and ships no bytecode, so every cold start compiles the
runtime's source: fewer bytes are less to upload and less to compile. What goes is what only
readers and type checkers use: docstrings, comments, blank lines, annotations, `if
TYPE_CHECKING:` blocks and `from __future__ import annotations`; indentation shrinks to one
space a level.

The source is edited, not regenerated: the syntax tree only says *where* those pieces are,
and they are cut out of the original text. So the result keeps the source's own syntax and
runs on every Python the source runs on, whichever Python runs wsgen (`ast.unparse` would
write the running interpreter's syntax: on 3.12 it nests quotes in f-strings, which 3.11
cannot read).
"""

from __future__ import annotations

import ast
import io
import tokenize

Position = tuple[int, int]
"""A (line, column) in the source: 1-based line, 0-based column in characters."""


def compact_source(source: str, filename: str = "<runtime>") -> str:
    """The module's code without docstrings, comments, blank lines and annotations."""
    lines = source.splitlines(keepends=True)
    tree = ast.parse(source, filename)
    cuts = _Cuts(lines, keep_type_checking_flag=_has_type_checking_else(tree))
    cuts.visit(tree)
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            cuts.span(token.start, token.end, columns_in_bytes=False)
    return _reindent(_apply(lines, cuts))


def _has_type_checking_else(tree: ast.Module) -> bool:
    """Whether an `if TYPE_CHECKING: ... else: ...` stays (so the flag must stay too)."""
    return any(
        isinstance(node, ast.If) and _is_type_checking(node.test) and node.orelse
        for node in ast.walk(tree)
    )


class _Cuts(ast.NodeVisitor):
    """Collects what to remove: whole statements (by lines) and spans within lines."""

    def __init__(self, lines: list[str], keep_type_checking_flag: bool) -> None:
        self.lines = lines
        self.keep_type_checking_flag = keep_type_checking_flag
        self.spans: list[tuple[Position, Position]] = []
        self.dropped_lines: set[int] = set()
        self.replacements: dict[int, str] = {}
        """Line number -> new line, for a body left empty (it becomes `pass`)."""
        self.kept_lines: set[int] = set()
        """Lines inside multi-line string literals: their blank lines are part of a value."""

    # What to look for

    def visit_If(self, node: ast.If) -> None:
        """`if TYPE_CHECKING: ... else: ...` keeps its else only: the body never runs, so it
        becomes `pass` (one without an else goes whole, as its parent trims it)."""
        if not _is_type_checking(node.test):
            self.generic_visit(node)
            return
        for statement in node.body:
            self._drop_statement(statement)
        first = node.body[0]
        indent = self.lines[first.lineno - 1][: _char_col(self.lines, first)]
        self.replacements[first.lineno] = indent + "pass\n"
        dropped = set(map(id, self._trim_body(node.orelse)))
        for statement in node.orelse:
            if id(statement) not in dropped:
                self.visit(statement)

    def generic_visit(self, node: ast.AST) -> None:
        dropped: set[int] = set()
        for field in ("body", "orelse", "finalbody"):
            statements = getattr(node, field, None)
            if isinstance(statements, list) and statements and isinstance(statements[0], ast.stmt):
                dropped.update(map(id, self._trim_body(statements)))
        # What a dropped statement holds goes with it: nothing inside it is visited (else an
        # emptied body inside an emptied `if TYPE_CHECKING:` would leave its `pass` behind).
        for _, value in ast.iter_fields(node):
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST) and id(child) not in dropped:
                    self.visit(child)

    def _trim_body(self, statements: list[ast.stmt]) -> list[ast.stmt]:
        """Drop what `statements` need not keep (`pass` if that is all); returns the dropped."""
        removable = [s for s in statements if self._removable(s)]
        for statement in removable:
            self._drop_statement(statement)
        if removable and len(removable) == len(statements):
            first = statements[0]
            indent = self.lines[first.lineno - 1][: _char_col(self.lines, first)]
            self.replacements[first.lineno] = indent + "pass\n"
        return removable

    def _removable(self, statement: ast.stmt) -> bool:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            return isinstance(statement.value.value, str)  # a docstring
        if isinstance(statement, ast.If) and _is_type_checking(statement.test):
            return not statement.orelse
        if isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
            return True  # postponed annotations matter no more once there are none
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            flag = isinstance(target, ast.Name) and target.id == "TYPE_CHECKING"
            return flag and not self.keep_type_checking_flag
        return isinstance(statement, ast.AnnAssign) and statement.value is None

    def _drop_statement(self, statement: ast.stmt) -> None:
        assert statement.end_lineno is not None
        self.dropped_lines.update(range(statement.lineno, statement.end_lineno + 1))

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str | bytes) and node.end_lineno != node.lineno:
            assert node.end_lineno is not None
            self.kept_lines.update(range(node.lineno + 1, node.end_lineno + 1))

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        if node.end_lineno != node.lineno:
            assert node.end_lineno is not None
            self.kept_lines.update(range(node.lineno + 1, node.end_lineno + 1))
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        if node.annotation is not None:
            name_end = (node.lineno, node.col_offset + len(node.arg.encode()))
            self.span(name_end, _end(node.annotation))

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:  # `x: T = v` -> `x = v`
            self.span(_end(node.target), _end(node.annotation))
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._cut_returns(node)
        self.generic_visit(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._cut_returns(node)
        self.generic_visit(node)

    def _cut_returns(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """`def f(x) -> T:` -> `def f(x):`, cutting from the `->` to the end of `T`."""
        if node.returns is None:
            return
        line = node.returns.lineno
        text = self.lines[line - 1].encode()
        arrow = text.rfind(b"->", 0, node.returns.col_offset)
        while arrow > 0 and text[arrow - 1 : arrow] == b" ":
            arrow -= 1
        self.span((line, arrow), _end(node.returns))

    # Recording

    def span(self, start: Position, end: Position, *, columns_in_bytes: bool = True) -> None:
        if columns_in_bytes:
            start = (start[0], _to_chars(self.lines, *start))
            end = (end[0], _to_chars(self.lines, *end))
        self.spans.append((start, end))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _end(node: ast.AST) -> Position:
    end_line, end_col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
    assert end_line is not None and end_col is not None
    return end_line, end_col


def _char_col(lines: list[str], node: ast.stmt) -> int:
    return _to_chars(lines, node.lineno, node.col_offset)


def _to_chars(lines: list[str], line: int, byte_col: int) -> int:
    """ast columns count UTF-8 bytes; text is cut by characters."""
    return len(lines[line - 1].encode()[:byte_col].decode())


def _apply(lines: list[str], cuts: _Cuts) -> str:
    edited = list(lines)
    # Cut spans from the last to the first, so earlier positions stay valid.
    for (start_line, start_col), (end_line, end_col) in sorted(cuts.spans, reverse=True):
        if start_line in cuts.dropped_lines:
            continue
        head = edited[start_line - 1][:start_col]
        tail = edited[end_line - 1][end_col:]
        edited[start_line - 1] = head + tail
        for number in range(start_line + 1, end_line + 1):
            edited[number - 1] = ""
    out = []
    for number, line in enumerate(edited, start=1):
        if number in cuts.replacements:
            out.append(cuts.replacements[number])
        elif number in cuts.dropped_lines:
            continue
        elif number in cuts.kept_lines:
            out.append(line)
        elif line.strip():
            out.append(line.rstrip() + "\n")
    return "".join(out)


_STRING_STARTS = {tokenize.STRING, getattr(tokenize, "FSTRING_START", -1)}
_STRING_ENDS = {tokenize.STRING, getattr(tokenize, "FSTRING_END", -1)}


def _reindent(source: str) -> str:
    """One space per indentation level; continuation lines (inside brackets) unindented.

    Lines inside a multi-line string keep their text: it is part of the string's value.
    """
    depth = 0
    starts: dict[int, int] = {}
    in_strings: set[int] = set()
    string_start: int | None = None
    new_logical_line = True
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.INDENT:
            depth += 1
        elif token.type == tokenize.DEDENT:
            depth -= 1
        elif token.type == tokenize.NEWLINE:
            new_logical_line = True
        elif token.type not in (tokenize.NL, tokenize.COMMENT, tokenize.ENDMARKER):
            if new_logical_line:
                starts[token.start[0]] = depth
                new_logical_line = False
            if token.type in _STRING_STARTS and string_start is None:
                string_start = token.start[0]
            if token.type in _STRING_ENDS and string_start is not None:
                in_strings.update(range(string_start + 1, token.end[0] + 1))
                string_start = None
    out = []
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        if number in in_strings:
            out.append(line)
        else:
            out.append(" " * starts.get(number, 0) + line.lstrip())
    return "".join(out)
