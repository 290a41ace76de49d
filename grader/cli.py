"""The command line: parse arguments, call one `grader.api` function, turn errors into `Error: ...`.

Exit codes: 0 success, 1 a check failed or the grader itself failed, 2 a usage error.
"""
from __future__ import annotations

import argparse
import os
import sys

from grader import __version__
from grader.errors import GraderError, UsageError
from grader.judge.devices import DEVICE_CHOICES


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
                       help="json (always), html (default: DIR/index.html), gradescope, junit; comma-separated")
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

    release = commands.add_parser("release", help="build the student bundle (no solutions or hidden specs)")
    release.add_argument("assignments", nargs="+", metavar="ASSIGNMENT")
    release.add_argument("--out", required=True)
    release.add_argument("--zip", metavar="FILE", help="also write the bundle as a zip students pip-install (Colab)")

    merge = commands.add_parser("merge", help="merge the outputs of sharded runs into one summary")
    merge.add_argument("dirs", nargs="+", metavar="DIR")
    merge.add_argument("--out", required=True)

    report = commands.add_parser("report", help="re-render the class report (DIR/index.html) from DIR's JSON reports")
    report.add_argument("dir", metavar="DIR", help="a folder `grader grade` or `grader merge` wrote")

    from grader.course.gradescope import VISIBILITIES

    gradescope = commands.add_parser("gradescope", help="build the Gradescope autograder zip (holds hidden specs)")
    gradescope.add_argument("assignment")
    gradescope.add_argument("--out", required=True, help="folder for setup.sh, run_autograder, autograder.zip")
    gradescope.add_argument("--hidden-visibility", choices=VISIBILITIES, default="after_published",
                            help="when students see hidden tests' results (default: after_published)")
    return parser


def main(argv: list[str] | None = None) -> int:
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
                         allow_unsandboxed=args.allow_unsandboxed)
        total = len(run_.reports)
        print(f"{total} submission(s): {run_.graded} graded, {run_.reused} unchanged; reports in {args.out}")
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
    if args.command == "release":
        api.release(args.assignments, out=args.out, zip_to=args.zip)
        if args.zip:
            print(f"student bundle: {args.out}, and {args.zip} (pip install {os.path.basename(args.zip)})")
        return 0
    if args.command == "merge":
        api.merge(args.dirs, out=args.out)
        print(f"class report: {os.path.join(args.out, 'index.html')}")
        return 0
    if args.command == "report":
        index, skipped = api.report(args.dir)
        for submission_id in skipped:
            print(f"skipped report {submission_id!r}: it is not shaped like a grader report", file=sys.stderr)
        print(f"class report: {index}")
        return 0
    if args.command == "gradescope":
        files = api.gradescope_bundle(args.assignment, out=args.out, hidden_visibility=args.hidden_visibility)
        print(f"Gradescope autograder: {files[-1]} (for your upload only: it holds hidden specs)")
        return 0
    raise UsageError(f"unknown command {args.command}")


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    raise SystemExit(main())
