"""selfcheck proves specs on every seed: it notices an escaped mutant, a mutant caught outside its
clause, a mutant with no `Fails:` line, a solution below full and a stub above zero."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.course.assignments import load_assignment
from grader.course.selfcheck import Case, cases, check_cases, declared_fails, judge_case, seed_list, structure_problems
from grader.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]


def report(seed: int, **scores: float) -> dict:
    tests = [{"name": n, "score": s, "points": 1.0} for n, s in scores.items()]
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


def test_grading_under_two_seeds_catches_a_mutant_outside_its_clause():
    concat = load_assignment("concat")
    solution = Case("solution", ROOT / "solutions" / "concat" / "solution.py", "full")
    narrow = mutant({"test_subnet_variables_are_tracked"})  # untracked also fails the gradients test
    narrow = Case(narrow.label, ROOT / "solutions" / "concat" / "mutants" / "untracked.py", "below", narrow.fails)
    good, bad = check_cases(concat, [solution, narrow], [9, 1009], jobs=2)
    assert good.ok and good.scores == (10.0, 10.0)
    assert not bad.ok and "outside its Fails: list, in test_gradients_reach_both_subnets" in bad.detail



def test_cli_passes_seeds_through():
    from grader.cli import build_parser

    args = build_parser().parse_args(["selfcheck", "concat", "--seeds", "5", "--seed", "3"])
    assert (args.assignments, args.seeds, args.seed) == (["concat"], 5, 3)
    assert build_parser().parse_args(["selfcheck"]).seeds == 1
