"""The command line: parse arguments, call one `grader.api` function, turn errors into `Error: ...`.

Exit codes: 0 success, 1 a check failed or the grader itself failed, 2 a usage error.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from grader import __version__
from grader.errors import GraderError, UsageError
from grader.judge.devices import DEVICE_CHOICES
from grader.output.class_folder import FEEDBACK_HIDDEN


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description="Autograder for TensorFlow/Keras exercises.")
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="run the public specs on your file (students)")
    check.add_argument("assignment", help="assignment name, e.g. concat")
    check.add_argument("file", nargs="?", help="your .py or .ipynb (default: the stub's name here)")
    check.add_argument("--seed", type=int, help="fix the random inputs (default: new each run)")
    check.add_argument("--devices", default="cpu", choices=DEVICE_CHOICES, help="device legs (default: cpu)")
    check.add_argument("--keras", default="3", choices=("3", "legacy"), help="legacy: Keras 2 via tf-keras")
    check.add_argument("--json", metavar="FILE", help="also write the report as JSON to FILE")

    grade = commands.add_parser("grade", help="grade submissions with public and hidden specs (instructors, CI)")
    grade.add_argument("assignment")
    grade.add_argument("paths", nargs="+", metavar="PATH", help="a submission, or a folder of submissions")
    grade.add_argument("--out", required=True, help="folder for reports, summary.json and gradebook.csv")
    grade.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: cores)")
    grade.add_argument("--format", default="json,html",
                       help="json (always), html (default: DIR/index.html), gradescope, junit; for the class: "
                            "canvas, moodle, blackboard (gradebook CSVs the LMS imports), feedback (DIR/feedback/: "
                            "a page per student and the LMS' bulk feedback zips); comma-separated; a folder's "
                            "earlier formats are kept up to date")
    grade.add_argument("--shard", help="grade slice K of N (K/N) of the submissions")
    grade.add_argument("--seed", type=int,
                       help="fix the random inputs (default: the seed --out was graded under, else new; recorded)")
    grade.add_argument("--force", action="store_true", help="re-grade even unchanged submissions")
    grade.add_argument("--max-mb", type=float, help="largest submission file accepted, in MB")
    grade.add_argument("--quiet", action="store_true", help="no progress bar")
    grade.add_argument("--devices", default="auto", choices=DEVICE_CHOICES,
                       help="cpu, gpu, all, or auto: CPU, plus a GPU leg when a GPU is visible")
    grade.add_argument("--keras", default="3", choices=("3", "legacy"),
                       help="legacy: grade lecture-era Keras 2 code with tf-keras")
    grade.add_argument("--allow-unsandboxed", action="store_true",
                       help="grade even where no sandbox isolates the code (macOS, Windows): it runs as you")
    grade.add_argument("--only", nargs="+", metavar="ID",
                       help="grade only these submissions of the PATHs (ids as in gradebook.csv); the class's "
                            "summary, gradebook and pages are rebuilt from every report in --out")
    _settings_options(grade)
    grade.add_argument("--lms-title", metavar="TITLE",
                       help="the assignment's column title in the LMS gradebook (default: the assignment's title)")
    grade.add_argument("--lms-id", metavar="ID",
                       help="the assignment's id in the LMS: Canvas' assignment id, Blackboard's column id")
    grade.add_argument("--feedback-hidden", choices=FEEDBACK_HIDDEN,
                       help="feedback pages show hidden tests' outcomes (name, points, passed or not; default) "
                            "or only their total")

    selfcheck = commands.add_parser("selfcheck", help="prove the specs: solution full, stub 0, mutants below")
    selfcheck.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: all")
    selfcheck.add_argument("--jobs", type=int, default=None)
    selfcheck.add_argument("--seed", type=int, help="first seed; the others are SEED+1000, SEED+2000, ...")
    selfcheck.add_argument("--seeds", type=int, default=1, metavar="N",
                           help="grade every case (with --mutate: every mutant) under N seeds (default 1; CI uses 5)")
    selfcheck.add_argument("--mutate", action="store_true",
                           help="mutation analysis: grade one-change mutants of each solution, list the survivors")
    selfcheck.add_argument("--sample", type=int, metavar="K", help="with --mutate: grade K mutants per assignment, picked by --seed")
    selfcheck.add_argument("--survivors", metavar="FILE", help="with --mutate: JSON file of the survivors "
                                               "(default: mutation-survivors.json)")

    new = commands.add_parser("new", help="scaffold a new exercise in the course: every file, a working example "
                                          "to make your own (docs/authoring.md)")
    new.add_argument("name", metavar="NAME", help="the exercise's name: lowercase letters, digits and _")
    new.add_argument("--course", metavar="DIR", help="the course folder (default: $GRADER_COURSE, else the course "
                                                     "the working folder is in, else a new one here)")

    notebook = commands.add_parser("stub-notebook", help="make each assignment's .ipynb stub from its .py stub")
    notebook.add_argument("assignments", nargs="+", metavar="ASSIGNMENT")

    release = commands.add_parser("release", help="build the student bundle (no solutions or hidden specs)")
    release.add_argument("assignments", nargs="+", metavar="ASSIGNMENT")
    release.add_argument("--out", required=True)
    release.add_argument("--zip", metavar="FILE", help="also write the bundle as a zip students pip-install (Colab)")

    merge = commands.add_parser("merge", help="merge the outputs of sharded runs into one summary")
    merge.add_argument("dirs", nargs="+", metavar="DIR")
    merge.add_argument("--out", required=True)

    report = commands.add_parser("report", help="rebuild summary, gradebook, exports and pages from DIR's JSON "
                                                "reports (nothing is graded again)")
    report.add_argument("dir", metavar="DIR", help="a folder `grader grade` or `grader merge` wrote")
    _settings_options(report)

    from grader.course.gradescope import VISIBILITIES

    gradescope = commands.add_parser("gradescope", help="build the Gradescope autograder zip (holds hidden specs)")
    gradescope.add_argument("assignment")
    gradescope.add_argument("--out", required=True, help="folder for setup.sh, run_autograder, autograder.zip")
    gradescope.add_argument("--hidden-visibility", choices=VISIBILITIES, default="after_published",
                            help="when students see hidden tests' results (default: after_published)")
    return parser


def _settings_options(command: argparse.ArgumentParser) -> None:
    """The settings a class folder keeps (copied into it, applied by every later run)."""
    command.add_argument("--roster", metavar="FILE",
                         help="class list CSV (your LMS gradebook export works): names, ids, emails, sections")
    command.add_argument("--overrides", metavar="FILE",
                         help="CSV id,points,reason[,test][,by]: +1, -0.5 change a score, =8 sets it")
    command.add_argument("--late-policy", metavar="FILE",
                         help="TOML: due (with time zone), grace_minutes, penalty_per_day, cap")


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a Windows pipe's code page cannot encode every student's text
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) and 2
    try:
        return run(args)
    except UsageError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except GraderError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; finished reports are kept. Run the same command again to resume.", file=sys.stderr)
        return 130


def run(args: argparse.Namespace) -> int:
    from grader import api

    if args.command == "check":
        report = api.check(args.assignment, args.file, seed=args.seed, devices=args.devices, keras=args.keras,
                           json_out=args.json)
        return 0 if api.check_passed(report) else 1
    if args.command == "grade":
        run_ = api.grade(args.assignment, args.paths, out=args.out, jobs=args.jobs,
                         formats=args.format.split(","), seed=args.seed, force=args.force, shard=args.shard,
                         max_mb=args.max_mb, progress=not args.quiet, devices=args.devices, keras=args.keras,
                         allow_unsandboxed=args.allow_unsandboxed,
                         only=args.only, roster=args.roster, overrides=args.overrides, late_policy=args.late_policy,
                         lms_title=args.lms_title, lms_id=args.lms_id, feedback_hidden=args.feedback_hidden)
        total = len(run_.reports)
        print(f"{total} submission(s): {run_.graded} graded, {run_.reused} unchanged; reports in {args.out}")
        if run_.in_folder > total:
            print(f"the class: {run_.in_folder} report(s) in {args.out}, summary and gradebook rebuilt from all")
        _print_warnings(run_.warnings)
        if "html" in [f.strip() for f in args.format.split(",")]:
            print(f"class report: {os.path.join(args.out, 'index.html')}")
        for failure in run_.grader_failures:
            print(f"grader failure: {failure}", file=sys.stderr)
        return 1 if run_.grader_failures else 0
    if args.command == "selfcheck" and args.mutate:
        return 0 if api.mutate(args.assignments, jobs=args.jobs, seed=args.seed, seeds=args.seeds,
                               sample=args.sample, survivors=args.survivors) else 1
    if args.command == "selfcheck":
        return 0 if api.selfcheck(args.assignments, jobs=args.jobs, seed=args.seed, seeds=args.seeds) else 1
    if args.command == "new":
        files = api.new_exercise(args.name, course=args.course)
        print(f"new exercise {args.name}: {len(files)} files, a working example to make your own:")
        for path in files:
            print(f"  {_shown(path)}")
        print(f"Replace every AUTHOR-TODO (grader selfcheck {args.name} lists those left), then run "
              f"grader selfcheck {args.name} --seeds 3.")
        print(f"The guide: {_authoring_guide()}")
        return 0
    if args.command == "stub-notebook":
        for path in api.stub_notebooks(args.assignments):
            print(f"wrote {path}")
        return 0
    if args.command == "release":
        api.release(args.assignments, out=args.out, zip_to=args.zip)
        also = f", and {args.zip} (pip install {os.path.basename(args.zip)})" if args.zip else ""
        print(f"student bundle: {args.out}{also}")
        return 0
    if args.command == "merge":
        _print_warnings(api.merge(args.dirs, out=args.out).warnings)
        print(f"class report: {os.path.join(args.out, 'index.html')}")
        return 0
    if args.command == "report":
        rebuilt = api.report(args.dir, roster=args.roster, overrides=args.overrides, late_policy=args.late_policy)
        for submission_id in rebuilt.skipped:
            print(f"skipped report {submission_id!r}: it is not shaped like a grader report", file=sys.stderr)
        _print_warnings(rebuilt.warnings)
        print(f"class report: {os.path.join(args.dir, 'index.html')}")
        return 0
    if args.command == "gradescope":
        files = api.gradescope_bundle(args.assignment, out=args.out, hidden_visibility=args.hidden_visibility)
        print(f"Gradescope autograder: {files[-1]} (for your upload only: it holds hidden specs)")
        return 0
    raise UsageError(f"unknown command {args.command}")


def _authoring_guide() -> str:
    """Where the guide to adding an exercise is: this grader's source checkout has it; an installed grader does not
    (a course made with `grader new` is usually a folder of its own, where a bare docs/authoring.md is not)."""
    guide = Path(__file__).resolve().parents[1] / "docs" / "authoring.md"
    return str(guide) if guide.is_file() else "docs/authoring.md in the keras-grader repository"


def _shown(path: Path) -> str:
    """A path relative to the working folder where it lies inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _print_warnings(warnings: list[str]) -> None:
    for line in warnings:
        print(f"note: {line}", file=sys.stderr)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    raise SystemExit(main())
