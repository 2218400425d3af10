"""Identity parsing (safe, no eval) and the Shapley driver decomposition (exact sums, property-tested)."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from metricslayer.kpi.explain import driver_contributions
from metricslayer.kpi.expr import ExprError, evaluate, is_additive, names_of, parse_expr, parse_identity
from metricslayer.kpi.shapley import shapley


def test_parse_precedence_and_unary_minus():
    assert evaluate(parse_expr("2 + 3 * 4"), {}) == 14
    assert evaluate(parse_expr("(2 + 3) * 4"), {}) == 20
    assert evaluate(parse_expr("-a - -b / 2"), {"a": 1, "b": 4}) == 1
    assert evaluate(parse_expr("1e3 + .5"), {}) == 1000.5
    assert names_of(parse_expr("a * (b + a) / c")) == ("a", "b", "c")


@pytest.mark.parametrize("text,message", [
    ("revenue = sessions *", "found the end"), ("revenue = sessions ** cvr", "found '*'"),
    ("revenue = (a + b", "missing ')'"), ("revenue sessions", "exactly one '='"), ("a = b = c", "exactly one"),
    ("a + b = c", "one metric name"), ("revenue = __import__('os')", "unexpected character"),
    ("revenue = a b", "unexpected 'b'")])
def test_bad_identities_raise_with_a_message(text, message):
    with pytest.raises(ExprError, match=re.escape(message)):
        parse_identity(text)


def test_error_column_points_into_the_identity():
    with pytest.raises(ExprError) as info:
        parse_identity("revenue = sessions * * aov")
    assert info.value.column == 22


def test_additivity():
    assert is_additive(parse_expr("revenue - cost"))
    assert is_additive(parse_expr("0.5 * a + b / 2 - (c - d)"))
    assert not is_additive(parse_expr("a * b")) and not is_additive(parse_expr("a / b"))


def test_shapley_two_factor_product_splits_the_cross_term_evenly():
    result = shapley(lambda v: v["p"] * v["q"], {"p": 10, "q": 5}, {"p": 12, "q": 6})
    # change 72 - 50 = 22: p alone 2*5=10, q alone 10*1=10, the cross term 2*1 split in half
    assert result == {"p": Fraction(11), "q": Fraction(11)}


def test_additive_identity_splits_term_by_term():
    ident = parse_identity("profit = revenue - cost")
    contributions, method = driver_contributions(ident.rhs, {"revenue": 100.0, "cost": 60.0},
                                                 {"revenue": 130.0, "cost": 75.0})
    assert method == "additive" and contributions == {"revenue": 30, "cost": -15}


def test_unchanged_driver_gets_zero():
    result = shapley(lambda v: v["a"] * v["b"] * v["c"], {"a": 2, "b": 3, "c": 4}, {"a": 5, "b": 3, "c": 7})
    assert result["b"] == 0


numbers = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)
IDENTITIES = ["r = a * b * c", "r = a + b - c", "r = a * b / c", "r = (a - b) * c + 2 * a", "r = a / (b + c)",
              "r = a * b - c * a"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(IDENTITIES), st.tuples(positive, positive, positive), st.tuples(positive, positive, positive))
def test_contributions_sum_exactly_to_the_change(text, before, after):
    ident = parse_identity(text)
    b, a = dict(zip("abc", before)), dict(zip("abc", after))
    try:
        total = evaluate(ident.rhs, a, exact=True) - evaluate(ident.rhs, b, exact=True)
        contributions, _ = driver_contributions(ident.rhs, b, a)
    except ZeroDivisionError:
        assume(False)
    assert sum(contributions.values()) == total  # exact, in rational arithmetic
    assert set(contributions) == set(ident.names)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(numbers, numbers), min_size=1, max_size=6))
def test_shapley_of_a_sum_is_each_players_own_change(pairs):
    before = {f"s{i}": b for i, (b, _) in enumerate(pairs)}
    after = {f"s{i}": a for i, (_, a) in enumerate(pairs)}
    result = shapley(lambda v: sum(v.values()), before, after)
    for key in before:
        assert result[key] == Fraction(after[key]) - Fraction(before[key])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(positive, positive, positive, positive), min_size=1, max_size=5))
def test_segment_shapley_on_a_ratio_sums_exactly(rows):
    # players are segments holding (numerator, denominator); f = sum(num) / sum(den)
    before = {f"g{i}": (n, d) for i, (n, d, _, _) in enumerate(rows)}
    after = {f"g{i}": (n, d) for i, (_, _, n, d) in enumerate(rows)}

    def ratio(v):
        return sum(x[0] for x in v.values()) / sum(x[1] for x in v.values())

    result = shapley(ratio, before, after)
    exact = {k: tuple(Fraction(x) for x in v) for k, v in before.items()}
    exact_after = {k: tuple(Fraction(x) for x in v) for k, v in after.items()}
    assert sum(result.values()) == ratio(exact_after) - ratio(exact)


@given(st.permutations(["a", "b", "c"]))
def test_shapley_does_not_depend_on_player_order(order):
    base = {"a": 2, "b": 3, "c": 5}
    moved = {"a": 7, "b": 1, "c": 4}

    def f(v):
        return v["a"] * v["b"] + v["c"] * v["a"]

    reference = shapley(f, base, moved)
    assert shapley(f, {k: base[k] for k in order}, {k: moved[k] for k in order}) == reference
