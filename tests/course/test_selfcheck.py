"""selfcheck proves specs on every seed: it notices an escaped mutant, a mutant caught outside its
clause, a mutant with no `Fails:` line, a solution below full and a stub above zero."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.assignments import list_assignments, load_assignment
from grader.course.points_table import spec_rows, table_problems
from grader.course.selfcheck import (Case, cases, check_cases, clause_spans, declared_fails, judge_case, seed_list,
                                     structure_problems)
from grader.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]


def report(seed: int, **scores: float) -> dict:
    tests = [{"name": n, "score": s, "points": 1.0, "message": "" if s else f"{n} said why"} for n, s in scores.items()]
    return {"seed": seed, "status": "graded", "score": sum(scores.values()), "max_score": float(len(scores)),
            "tests": tests, "error": None}


def mutant(fails: set[str] | None) -> Case:
    return Case("mutant x", Path("x.py"), "below", None if fails is None else frozenset(fails))


def test_a_mutant_that_escapes_on_one_seed_is_reported():
    verdict = judge_case(mutant({"test_a"}), [report(1, test_a=0, test_b=1), report(2, test_a=1, test_b=1)])
    assert not verdict.ok and "caught on 1/2 seeds by: test_a (1)" in verdict.detail
    assert "NOT caught on seed(s) 2" in verdict.detail


def test_a_mutant_caught_outside_its_clause_is_reported():
    verdict = judge_case(mutant({"test_a"}), [report(1, test_a=0, test_b=0), report(2, test_a=0, test_b=1)])
    assert not verdict.ok and "outside its Fails: list, in test_b" in verdict.detail
    within = judge_case(mutant({"test_a", "test_b"}), [report(1, test_a=0, test_b=0), report(2, test_a=0, test_b=1)])
    assert within.ok and within.detail == "caught on 2/2 seeds by: test_a (2), test_b (1)"


def test_what_the_tests_said_is_kept_where_a_case_goes_wrong():
    outside = judge_case(mutant({"test_a"}), [report(1, test_a=1, test_b=1), report(2, test_a=0, test_b=0)])
    assert outside.messages == ("seed 2, test_b: test_b said why",)  # not test_a: it is in the clause
    solution = judge_case(Case("solution", Path("s.py"), "full"), [report(5, test_a=1, test_b=0)])
    assert solution.messages == ("seed 5, test_b: test_b said why",)
    broken = dict(report(6, test_a=0), error={"kind": "syntax", "message": "line 3: invalid syntax"})
    broken["tests"] = []
    assert judge_case(Case("solution", Path("s.py"), "full"), [broken]).messages == ("seed 6: line 3: invalid syntax",)
    assert judge_case(mutant({"test_a"}), [report(1, test_a=0, test_b=1)]).messages == ()  # all good: nothing


def test_clause_spans_groups_a_fails_line_by_clause():
    clauses = {"test_shape": "call returns concat", "test_values": "call returns concat", "test_tracked": "tracked"}
    assert clause_spans(frozenset({"test_shape", "test_values"}), clauses) == {
        "call returns concat": ["test_shape", "test_values"]}
    assert clause_spans(frozenset({"test_shape", "test_tracked", "test_nope"}), clauses) == {
        "call returns concat": ["test_shape"], "tracked": ["test_tracked"]}


def test_a_mutant_without_a_fails_line_is_an_error_but_an_unconstrained_one_is_not():
    caught = [report(1, test_a=0)]
    assert not judge_case(mutant(set()), caught).ok
    assert "no 'Fails:' line" in judge_case(mutant(set()), caught).detail
    assert judge_case(mutant(None), caught).ok  # e.g. an automatic mutant: being caught is enough


def test_parametrized_names_count_as_their_test():
    verdict = judge_case(mutant({"test_a"}), [report(1, **{"test_a[x]": 0, "test_b": 1})])
    assert verdict.ok


def test_solution_below_full_or_stub_above_zero_on_any_seed_fails():
    solution, stub = Case("solution", Path("s.py"), "full"), Case("stub .py", Path("t.py"), "zero")
    full, partial = report(1, test_a=1, test_b=1), report(119, test_a=1, test_b=0)
    assert judge_case(solution, [full]).ok
    verdict = judge_case(solution, [full, partial])
    assert not verdict.ok and "below full on 1/2 seeds (seed 119: lost points on test_b)" in verdict.detail
    assert judge_case(stub, [report(1, test_a=0)]).ok
    assert not judge_case(stub, [report(1, test_a=0), report(2, test_a=1)]).ok


def test_fails_line_is_read_from_the_docstring(tmp_path):
    path = tmp_path / "m.py"
    path.write_text('"""Mutant: wrong.\n\nFails: test_a, test_b,\n    test_c\n\nMore text.\n"""\nx = 1\n')
    assert declared_fails(path) == {"test_a", "test_b", "test_c"}
    path.write_text('"""Mutant: wrong, and says nothing about its clause."""\n')
    assert declared_fails(path) == frozenset()


def test_seed_list_is_reproducible_from_seed():
    assert seed_list(7, 3) == [7, 1007, 2007]
    assert len(set(seed_list(None, 4))) == 4
    with pytest.raises(UsageError):
        seed_list(7, 0)


def test_every_concat_mutant_declares_its_clause_and_a_typo_in_one_is_a_problem():
    concat = load_assignment("concat")
    every = cases(concat)
    assert all(c.fails for c in every if c.expect == "below")
    assert structure_problems(concat, every) == []
    typo = Case("mutant typo", Path("typo.py"), "below", frozenset({"test_axis_argument_is_used", "test_nope"}))
    assert structure_problems(concat, [typo]) == ["mutant typo: its Fails: line names no such test: test_nope"]


def test_a_fails_line_spanning_two_clauses_is_a_problem_naming_both():
    concat = load_assignment("concat")
    same = Case("mutant one", Path("one.py"), "below", frozenset({"test_output_shape", "test_nests_inside_sequential"}))
    assert structure_problems(concat, [same]) == []  # both check what call returns
    two = Case("mutant two", Path("two.py"), "below", frozenset({"test_output_shape", "test_subnet_variables_are_tracked"}))
    assert structure_problems(concat, [two]) == [
        'mutant two: one mistake should cost one clause, but its Fails: line spans 2: "call(X) returns '
        'tf.concat([net1(X), net2(X)], axis), axis=-1 by default" (test_output_shape); "net1 and net2 are the '
        'block\'s own sub-networks: their variables are tracked" (test_subnet_variables_are_tracked)']


def test_grading_under_two_seeds_catches_a_mutant_outside_its_clause():
    concat = load_assignment("concat")
    solution = Case("solution", ROOT / "solutions" / "concat" / "solution.py", "full")
    narrow = mutant({"test_different_widths_and_inputs"})  # summing fails every test of what call returns
    narrow = Case(narrow.label, ROOT / "solutions" / "concat" / "mutants" / "sums.diff", "below", narrow.fails)
    good, bad = check_cases(concat, [solution, narrow], [9, 1009], jobs=2)
    assert good.ok and good.scores == (10.0, 10.0)
    assert not bad.ok and "outside its Fails: list, in test_axis_argument_is_used" in bad.detail
    assert any(m.startswith("seed 9, test_output_shape: Your code raised an error: InvalidArgumentError at line 20: "
                            "Incompatible shapes: [4,3] vs") for m in bad.messages), bad.messages



def test_cli_passes_seeds_through():
    from grader.cli import build_parser

    args = build_parser().parse_args(["selfcheck", "concat", "--seeds", "5", "--seed", "3"])
    assert (args.assignments, args.seeds, args.seed) == (["concat"], 5, 3)
    assert build_parser().parse_args(["selfcheck"]).seeds == 1


@pytest.mark.parametrize("slug", list_assignments())
def test_every_mutant_of_every_assignment_costs_one_clause(slug):
    """The static half of selfcheck, for every assignment: each Fails: line names known tests of one clause."""
    assignment = load_assignment(slug)
    assert structure_problems(assignment, cases(assignment)) == []


@pytest.mark.parametrize("slug", list_assignments())
def test_readme_points_tables_match_the_specs_and_their_clauses(slug):
    """Each README's table has one row per test with its points and visibility, grouped as the clauses are
    (selfcheck's own check: a new exercise gets it too; tests/course/test_points_table.py tests the check)."""
    assignment = load_assignment(slug)
    assert table_problems(assignment) == []
    assert sum(p for _, _, p, _ in spec_rows(assignment)) == 10
