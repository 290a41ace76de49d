"""Submissions that attack the grader score only what they honestly solved.

Each case pairs an attack with a wrong (or no) solution: if the attack worked,
the score would be above 0.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grader.judge.grading import grade_submission

WRONG = '''
import tensorflow as tf

class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1 = net1
    def call(self, X):
        return self.net1(X)
'''

ATTACKS = {
    "os_exit_in_call": WRONG.replace("return self.net1(X)", "import os; os._exit(0)"),
    "sys_exit_in_call": WRONG.replace("return self.net1(X)", "import sys; sys.exit(0)"),
    "patches_numpy_and_pytest": WRONG + '''
import numpy, numpy.testing, pytest, builtins
numpy.testing.assert_allclose = lambda *a, **k: None
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda a, b, **k: numpy.ones(numpy.shape(b), bool)
pytest.fail = lambda *a, **k: None
builtins.isinstance = lambda *a: True
ConcatBlock.attack = (numpy, pytest, builtins)  # needed by the class: extraction runs the patches
''',
    "lying_eq": WRONG.replace("return self.net1(X)", "return Liar()") + '''
class Liar:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    shape = (4, 8)
    def numpy(self): return self
    def __array__(self, *a, **k): raise TypeError("no")
''',
    "atexit_and_signal_tricks": WRONG + '''
import atexit, os, signal
atexit.register(lambda: print('{"score": 10}'))
handler = signal.signal(signal.SIGTERM, signal.SIG_IGN)
ConcatBlock.attack = handler  # needed by the class: extraction runs the signal trick
''',
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_scores_zero(tmp_path, concat_plan, attack):
    path = tmp_path / "concat.py"
    path.write_text(ATTACKS[attack], encoding="utf-8")
    result = grade_submission(path, concat_plan, submission_id=attack)
    assert result.score == 0, [(t.outcome.name, t.outcome.outcome) for t in result.tests if t.score]
    assert result.max_score == 10


def test_exit_at_import_is_an_error_report(tmp_path, concat_plan):
    path = tmp_path / "concat.py"
    # the class needs quit_now, so extraction runs the line that exits
    path.write_text(WRONG + "\nimport os\nquit_now = getattr(os, '_ex' + 'it')(3)\nConcatBlock.attack = quit_now\n",
                    encoding="utf-8")
    result = grade_submission(path, concat_plan, submission_id="exit")
    assert result.status == "error" and result.error["kind"] == "crash"
    assert "exit" in result.error["message"]


def test_a_crash_in_one_test_does_not_cost_the_others(tmp_path, concat_plan, solution_code):
    """os._exit only when axis=0 is used: the worker restarts and every other test still passes."""
    code = solution_code.replace("return tf.concat(", "if self.axis == 0:\n            import os; os._exit(1)\n"
                                 "        return tf.concat(")
    path = tmp_path / "concat.py"
    path.write_text(code, encoding="utf-8")
    result = grade_submission(path, concat_plan, submission_id="partial")
    lost = {t.outcome.name: t.outcome.outcome for t in result.tests if t.score < t.outcome.points}
    assert lost == {"test_axis_argument_is_used": "error"}
    assert result.score == 9


def test_the_judge_never_imports_student_code_or_tensorflow(tmp_path):
    path = tmp_path / "concat.py"
    path.write_text(ATTACKS["patches_numpy_and_pytest"], encoding="utf-8")
    script = (
        "import sys\n"
        "from grader.api import check\n"
        f"check('concat', {str(path)!r}, seed=1)\n"
        "assert 'submission' not in sys.modules\n"
        "assert 'tensorflow' not in sys.modules, 'the judge imported tensorflow'\n"
        "import numpy.testing; assert numpy.testing.assert_allclose.__module__.startswith('numpy')\n"
        "print('JUDGE-CLEAN')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[2])
    assert "JUDGE-CLEAN" in done.stdout, done.stderr[-2000:]
    assert "Total: 0 / 2.5" in done.stdout
