"""Shapley attribution of a change in f(x) to the players (drivers or segments) that moved: pure.

Each player i moves from ``before[i]`` to ``after[i]``. Its contribution is the average, over every order in
which the players could move, of the change in f when i moves. Computed over subsets with the weights
|S|! (n-|S|-1)! / n! in exact rational arithmetic, so the contributions sum *exactly* to
f(after) - f(before); floats are only made at the end.

>>> from fractions import Fraction as F
>>> shapley(lambda v: v["a"] * v["b"], {"a": 2, "b": 3}, {"a": 4, "b": 5})
{'a': Fraction(8, 1), 'b': Fraction(6, 1)}
>>> shapley(lambda v: v["x"] - v["y"], {"x": 10, "y": 4}, {"x": 13, "y": 5})
{'x': Fraction(3, 1), 'y': Fraction(-1, 1)}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from math import factorial

MAX_PLAYERS = 14


def shapley(f: Callable[[dict], Fraction], before: Mapping[str, object],
            after: Mapping[str, object]) -> dict[str, Fraction]:
    """Exact Shapley contributions of each key. `f` gets a dict of Fractions (or of the given values
    when they are not numbers, e.g. tuples) and must return a Fraction/int."""
    players = list(before)
    n = len(players)
    if n > MAX_PLAYERS:
        raise ValueError(f"too many drivers for an exact Shapley decomposition ({n} > {MAX_PLAYERS})")
    start = {k: _exact(before[k]) for k in players}
    end = {k: _exact(after[k]) for k in players}
    values: dict[int, Fraction] = {}
    for mask in range(1 << n):
        point = {k: (end[k] if mask >> i & 1 else start[k]) for i, k in enumerate(players)}
        values[mask] = Fraction(f(point))
    weights = [Fraction(factorial(s) * factorial(n - s - 1), factorial(n)) for s in range(n)]
    result: dict[str, Fraction] = {}
    for i, key in enumerate(players):
        bit = 1 << i
        total = Fraction(0)
        for mask in range(1 << n):
            if mask & bit:
                continue
            total += weights[bin(mask).count("1")] * (values[mask | bit] - values[mask])
        result[key] = total
    return result


def _exact(value):
    if isinstance(value, tuple):
        return tuple(_exact(v) for v in value)
    if isinstance(value, Fraction):
        return value
    return Fraction(value)  # ints, floats (exactly), Decimals
