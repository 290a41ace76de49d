"""grader.isolation: namespaces with no network and a read-only course; the Python socket guard elsewhere."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from grader.sandbox.isolation import current_isolation, namespaces_available, wrap_command

ROOT = Path(__file__).resolve().parents[2]

PROBE = r'''
import os, socket, sys
port, course, hidden = int(sys.argv[1]), sys.argv[2], sys.argv[3]
try:
    socket.create_connection(("127.0.0.1", port), timeout=3)
    print("NET-OPEN")
except OSError:
    print("NET-CLOSED")
try:
    # the course's assignments/ is what a worker sees of it (bound read-only); the course
    # root itself is an empty scaffold in the worker's private root, a write there goes nowhere
    open(os.path.join(course, "assignments", "isolation-probe.txt"), "w")
    print("COURSE-WRITABLE")
except OSError:
    print("COURSE-READONLY")
try:
    print("HIDDEN-VISIBLE" if os.listdir(hidden) else "HIDDEN-EMPTY")
except OSError:
    print("HIDDEN-UNREADABLE")
print("TMP", sorted(os.listdir("/tmp")))
'''


def test_wrap_command_runs_with_no_network_and_a_readonly_course(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    (tmp_path / "marker-in-real-tmp").write_text("x")
    port = listener.getsockname()[1]
    hidden = ROOT / "solutions"
    command = [sys.executable, "-c", PROBE, str(port), str(ROOT), str(hidden)]
    wrapped = wrap_command(command, hide=[hidden])
    if not namespaces_available():
        assert wrapped.argv == command and wrapped.fds == ()
        assert current_isolation().network == "python-guard"
        return
    stated = current_isolation().to_dict()
    assert {k: stated[k] for k in ("network", "filesystem", "dev", "proc")} == {
        "network": "namespace", "filesystem": "namespace", "dev": "minimal", "proc": "masked"}
    assert stated["uid"].startswith("unprivileged")
    with wrapped:
        done = subprocess.run(wrapped.argv, capture_output=True, text=True, timeout=60, pass_fds=wrapped.fds)
    try:
        assert done.returncode == 0, done.stderr
        assert "NET-CLOSED" in done.stdout
        assert "COURSE-READONLY" in done.stdout
        assert "HIDDEN-VISIBLE" not in done.stdout
        assert "marker-in-real-tmp" not in done.stdout and "pytest-of" not in done.stdout
        assert not (ROOT / "isolation-probe.txt").exists()
        assert not (ROOT / "assignments" / "isolation-probe.txt").exists()
        try:
            listener.accept()
            raise AssertionError("the namespaced command reached the test over loopback")
        except BlockingIOError:
            pass
    finally:
        listener.close()
        (ROOT / "isolation-probe.txt").unlink(missing_ok=True)


def test_the_socket_guard_refuses_connect_in_a_subprocess():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    script = (
        "import socket\n"
        "from grader.sandbox.confine import guard_sockets\n"
        "guard_sockets()\n"
        "for attempt in (lambda: socket.socket().connect(('127.0.0.1', %d)),\n"
        "                lambda: socket.create_connection(('127.0.0.1', %d), timeout=3),\n"
        "                lambda: socket.getaddrinfo('localhost', 80)):\n"
        "    try:\n"
        "        attempt(); print('ALLOWED')\n"
        "    except PermissionError:\n"
        "        print('REFUSED')\n"
    ) % (port, port)
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT)
    finally:
        listener.close()
    assert done.stdout.split() == ["REFUSED"] * 3, done.stderr


def test_grading_still_works_where_namespaces_are_unavailable(tmp_path):
    """The fallback: no namespaces, sockets blocked from Python, and the report says so."""
    import json

    script = (
        "import json, sys\n"
        "from grader.api import check\n"
        f"report = check('concat', {str(ROOT / 'solutions' / 'concat' / 'solution.py')!r}, seed=2)\n"
        "print('REPORT', json.dumps({'score': report['score'], 'sandbox': report['sandbox']}))\n"
    )
    env = dict(os.environ, GRADER_NO_NAMESPACES="1")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env)
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("REPORT "))
    report = json.loads(line[len("REPORT "):])
    assert report["score"] == 2.5
    assert report["sandbox"]["network"] == "python-guard" and report["sandbox"]["filesystem"] == "none"
    assert report["sandbox"]["dev"] == report["sandbox"]["proc"] == "host"  # honest: nothing masked here
    expected = "the grader's uid" if os.geteuid() else "unprivileged" if _others_can_enter_python() else "root"
    assert report["sandbox"]["uid"].startswith(expected), report["sandbox"]


def _others_can_enter_python() -> bool:
    """Can a uid of its own reach Python, the venv and the checkout without namespaces to bind them?"""
    import stat

    places = (Path(sys.base_prefix), Path(sys.prefix), ROOT)
    return all(os.stat(folder).st_mode & stat.S_IXOTH for place in places for folder in place.resolve().parents)
