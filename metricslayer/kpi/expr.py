"""A small, safe arithmetic expression parser for KPI identities (no eval).

Grammar: numbers, names (``[A-Za-z_][A-Za-z0-9_]*``), ``+ - * /``, unary minus and parentheses.
An identity is ``name = expression``, e.g. ``revenue = sessions * conversion_rate * aov``.

>>> ident = parse_identity("revenue = sessions * cvr * aov")
>>> ident.lhs, ident.names
('revenue', ('sessions', 'cvr', 'aov'))
>>> evaluate(ident.rhs, {"sessions": 100, "cvr": 0.5, "aov": 20})
1000.0
>>> is_additive(parse_expr("a - b + 2 * c")), is_additive(parse_expr("a * b"))
(True, False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Union

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(.))")


class ExprError(ValueError):
    """The text is not a valid expression; ``column`` is 1-based within the text."""

    def __init__(self, message: str, column: int = 0):
        super().__init__(message)
        self.message = message
        self.column = column


@dataclass(frozen=True)
class Num:
    value: Fraction


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Node
    right: Node


Node = Union[Num, Name, Neg, BinOp]  # noqa: UP007


@dataclass(frozen=True)
class Identity:
    lhs: str
    rhs: Node
    text: str

    @property
    def names(self) -> tuple[str, ...]:
        return names_of(self.rhs)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:  # pragma: no cover - the pattern matches any character
            break
        number, name, other = match.groups()
        column = match.start(match.lastindex) + 1
        if number is not None:
            out.append(("num", number, column))
        elif name is not None:
            out.append(("name", name, column))
        elif other in "+-*/()=":
            out.append(("op", other, column))
        else:
            raise ExprError(f"unexpected character {other!r}", column)
        pos = match.end()
    out.append(("end", "", len(text) + 1))
    return out


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i]

    def take(self) -> tuple[str, str, int]:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expr(self) -> Node:
        node = self.term()
        while self.peek()[:2] in (("op", "+"), ("op", "-")):
            node = BinOp(self.take()[1], node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.peek()[:2] in (("op", "*"), ("op", "/")):
            node = BinOp(self.take()[1], node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek()[:2] == ("op", "-"):
            self.take()
            return Neg(self.unary())
        if self.peek()[:2] == ("op", "+"):
            self.take()
            return self.unary()
        return self.atom()

    def atom(self) -> Node:
        kind, value, column = self.take()
        if kind == "num":
            return Num(Fraction(value))
        if kind == "name":
            return Name(value)
        if (kind, value) == ("op", "("):
            node = self.expr()
            if self.peek()[:2] != ("op", ")"):
                raise ExprError("missing ')'", self.peek()[2])
            self.take()
            return node
        found = "the end" if kind == "end" else repr(value)
        raise ExprError(f"expected a name, a number or '(' but found {found}", column)


def parse_expr(text: str) -> Node:
    parser = _Parser(text)
    node = parser.expr()
    kind, value, column = parser.peek()
    if kind != "end":
        raise ExprError(f"unexpected {value!r} after the expression", column)
    return node


def parse_identity(text: str) -> Identity:
    """Parse ``name = expression``; raises ExprError with a column on bad input."""
    if text.count("=") != 1:
        raise ExprError("an identity is 'name = expression' with exactly one '='",
                        text.find("=", text.find("=") + 1) + 1 if text.count("=") > 1 else 0)
    left, right = text.split("=")
    lhs = parse_expr(left)
    if not isinstance(lhs, Name):
        raise ExprError("the left side of an identity must be one metric name", 1)
    offset = len(left) + 1
    try:
        rhs = parse_expr(right)
    except ExprError as exc:
        raise ExprError(exc.message, exc.column + offset if exc.column else 0) from None
    return Identity(lhs.name, rhs, text.strip())


def names_of(node: Node) -> tuple[str, ...]:
    """Names in order of first appearance."""
    found: list[str] = []

    def walk(n: Node) -> None:
        if isinstance(n, Name):
            if n.name not in found:
                found.append(n.name)
        elif isinstance(n, Neg):
            walk(n.operand)
        elif isinstance(n, BinOp):
            walk(n.left)
            walk(n.right)

    walk(node)
    return tuple(found)


def evaluate(node: Node, values: dict, exact: bool = False):
    """Evaluate with float arithmetic (or exact Fractions when `exact`); raises ZeroDivisionError."""
    if isinstance(node, Num):
        return node.value if exact else float(node.value)
    if isinstance(node, Name):
        value = values[node.name]
        return Fraction(value) if exact else float(value)
    if isinstance(node, Neg):
        return -evaluate(node.operand, values, exact)
    left, right = evaluate(node.left, values, exact), evaluate(node.right, values, exact)
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    if right == 0:
        raise ZeroDivisionError("division by zero")
    return left / right


def is_additive(node: Node) -> bool:
    """True when the expression is a sum of names with constant coefficients (linear)."""
    if isinstance(node, (Num, Name)):
        return True
    if isinstance(node, Neg):
        return is_additive(node.operand)
    if node.op in "+-":
        return is_additive(node.left) and is_additive(node.right)
    if node.op == "*":
        return (isinstance(node.left, Num) and is_additive(node.right)) or \
            (isinstance(node.right, Num) and is_additive(node.left))
    return isinstance(node.right, Num) and is_additive(node.left)
