"""Hostile submissions against the host, the judge and the next submission (issue 14, classes 1, 2, 3, 5, 7).

Each test grades a real hostile `concat` submission end to end and asserts the property,
not the attack's details. The attack runs once per submission (a marker file in HOME), in
`ConcatBlock.__init__`, and prints `RESULT <what> <outcome>` lines the test reads back from
the report's captured stdout. The same file runs as an ordinary user
(`test_the_hostile_cases_hold_for_a_grader_run_as_an_ordinary_user`) and with TMPDIR
elsewhere (`test_isolation_holds_with_tmpdir_elsewhere`).
"""
from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

import grader.sandbox.cage as cage_module
from grader.judge.grading import grade_submission
from grader.sandbox.confine import WorkerLimits
from grader.sandbox.isolation import namespaces_available
from grader.sandbox.warm import process_zygote
from grader.sandbox.workers import make_folder, start_cold

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = (ROOT / "solutions" / "concat" / "solution.py").read_text(encoding="utf-8")
MARK = "hostile-host-" + uuid.uuid4().hex[:10]
NAMESPACES = pytest.mark.skipif(not namespaces_available(), reason="needs mount namespaces (see the fallback test)")
TEMPLATE = '''import os
import tensorflow as tf


def _attack():
    if os.path.exists("attacked"):
        return
    open("attacked", "w").close()

    def attempt(what, action):
        try:
            action()
            print("RESULT", what, "ALLOWED", flush=True)
        except (OSError, ImportError) as exc:
            print("RESULT", what, "denied", type(exc).__name__, flush=True)

__BODY__


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1 = net1
        _attack()

    def call(self, X):
        return self.net1(X)
'''


def hostile(body: str) -> str:
    """A wrong `concat` (only net1: every spec fails) whose first construction runs `body`."""
    return TEMPLATE.replace("__BODY__", "\n".join("    " + line for line in body.strip().splitlines()))


def in_child(body: str) -> str:
    """`body` run by a child Python the attack starts: the worker's own tripwire ends a worker whose code uses
    ctypes, but a child interpreter has none, so what stops these attacks must be the kernel's limits (the IPC
    namespace, the seccomp filter), which every child inherits."""
    code = "import os\n" + CHILD_ATTEMPT + body
    return f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {code!r}], check=False)\n"


CHILD_ATTEMPT = '''
def attempt(what, action):
    try:
        action()
        print("RESULT", what, "ALLOWED", flush=True)
    except (OSError, ImportError) as exc:
        print("RESULT", what, "denied", type(exc).__name__, flush=True)
'''


def grade(tmp_path: Path, source: str, plan, name: str = "concat.py"):
    path = tmp_path / uuid.uuid4().hex[:8] / name
    path.parent.mkdir()
    path.write_text(source, encoding="utf-8")
    result = grade_submission(path, plan, submission_id=path.parent.name)
    return result, result.to_dict()


def results(report: dict) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (report.get("output") or {}).get("stdout", "").splitlines():
        if line.startswith("RESULT "):
            _, what, outcome = (line.split(None, 2) + [""])[:3]
            out[what] = outcome
    return out


# -- 1. the worker has no rights on the host -------------------------------------------------------------
HOST_RIGHTS = '''
import stat
print("RESULT uid", os.getuid(), flush=True)
attempt("core_pattern", lambda: os.close(os.open("/proc/sys/kernel/core_pattern", os.O_WRONLY)))
attempt("sysrq", lambda: os.close(os.open("/proc/sysrq-trigger", os.O_WRONLY)))
attempt("pts", lambda: os.close(os.open("/dev/pts/0", os.O_RDWR | os.O_NOCTTY)))
attempt("ptmx", lambda: os.close(os.open("/dev/ptmx", os.O_RDWR | os.O_NOCTTY)))
attempt("tty", lambda: os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)))
attempt("kmsg", lambda: os.close(os.open("/dev/kmsg", os.O_RDONLY)))
for index, device in enumerate(__BLOCK__):
    attempt("block%d" % index, lambda: os.close(os.open(device, os.O_RDONLY)))
attempt("mknod", lambda: os.mknod("sda", stat.S_IFBLK | 0o600, os.makedev(8, 0)))
attempt("chmod_folder", lambda: os.chmod("..", 0o777))
attempt("plant_in_folder", lambda: open("../planted", "w").close())
attempt("rename_capture", lambda: os.rename("../stdout.txt", "../gone.txt"))
print("RESULT dev", ",".join(sorted(os.listdir("/dev"))), flush=True)
'''


def host_block_devices() -> list[str]:
    found = []
    for entry in sorted(os.listdir("/dev")):
        try:
            if stat.S_ISBLK(os.stat(f"/dev/{entry}").st_mode):
                found.append(f"/dev/{entry}")
        except OSError:
            pass
    return found[:8] or ["/dev/sda", "/dev/vda", "/dev/nvme0n1", "/dev/loop0"]


@NAMESPACES
def test_a_worker_has_no_rights_on_host_files_sysctls_or_devices(tmp_path, concat_plan):
    core_pattern = Path("/proc/sys/kernel/core_pattern").read_text()
    source = hostile(HOST_RIGHTS.replace("__BLOCK__", repr(host_block_devices())))
    result, report = grade(tmp_path, source, concat_plan)
    seen = results(report)
    assert result.score == 0 and report["status"] == "graded", report.get("error")
    attempts = {k: v for k, v in seen.items() if k not in ("uid", "dev")}
    assert {"core_pattern", "pts", "block0", "mknod", "chmod_folder", "rename_capture"} <= set(attempts), seen
    assert all(v.startswith("denied") for v in attempts.values()), attempts
    assert int(seen["uid"]) != 0
    assert set(seen["dev"].split(",")) <= {"null", "zero", "full", "random", "urandom", "fd", "stdin", "stdout",
                                           "stderr", "shm"} | {d for d in os.listdir("/dev") if d.startswith("nvidia")}
    assert Path("/proc/sys/kernel/core_pattern").read_text() == core_pattern
    sandbox = report["sandbox"]
    assert sandbox["uid"].startswith("unprivileged") and sandbox["dev"] == "minimal" and sandbox["proc"] == "masked"


# -- 2. the judge never follows a path the worker can change; its waits are bounded -----------------------
SWAP_CAPTURE = '''
attempt("symlink_stdout", lambda: (os.remove("../stdout.txt"), os.symlink("__TARGET__", "../stdout.txt")))
attempt("fifo_stderr", lambda: (os.remove("../stderr.txt"), os.mkfifo("../stderr.txt")))
os._exit(0)  # the judge starts a fresh worker for the next test: it reopens the capture files
'''


def test_swapping_the_capture_files_neither_writes_outside_nor_blocks_the_judge(tmp_path, concat_plan):
    target = tmp_path / f"forged-{MARK}.pth"
    started = time.monotonic()
    result, report = grade(tmp_path, hostile(SWAP_CAPTURE.replace("__TARGET__", str(target))), concat_plan)
    assert time.monotonic() - started < concat_plan.limits.submission_s + 30
    assert not target.exists() and result.score == 0
    assert all(v.startswith("denied") for v in results(report).values()), results(report)


def _bounded(call, seconds: float = 20.0):
    """Run `call` in a thread: a judge that blocks (a FIFO opened for writing) fails the test, not hangs it."""
    outcome: list[BaseException | object] = []
    thread = threading.Thread(target=lambda: outcome.append(_capture(call)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"the judge blocked for more than {seconds} s"
    return outcome[0]


def _capture(call):
    try:
        return call()
    except BaseException as exc:  # noqa: BLE001 - handed back to the test
        return exc


@pytest.mark.parametrize("launch", ["warm", "cold"])
def test_the_judge_refuses_capture_files_that_are_symlinks_or_fifos(tmp_path, zygote, launch):
    """Should a worker ever swap them, the judge opens its capture files without following or blocking."""
    target = tmp_path / "host-file.txt"
    folder = make_folder()
    try:
        folder.chmod(0o755)
        (folder / "stdout.txt").unlink()
        (folder / "stdout.txt").symlink_to(target)
        (folder / "stderr.txt").unlink()
        os.mkfifo(folder / "stderr.txt")
        start = zygote.start if launch == "warm" else start_cold
        outcome = _bounded(lambda: start(folder, WorkerLimits()))
        assert isinstance(outcome, OSError), outcome
        assert not target.exists()
        (folder / "stdout.txt").unlink()
        (folder / "stdout.txt").touch()
        outcome = _bounded(lambda: start(folder, WorkerLimits()))
        assert isinstance(outcome, OSError), outcome  # the FIFO alone is refused too
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert zygote.alive


# -- 3. nothing is shared between submissions --------------------------------------------------------------
PLANT = '''
for place in ("/tmp", "/var/tmp", "/dev/shm"):
    attempt("plant" + place.replace("/", "_"), lambda: open(place + "/planted-__MARK__", "w").write("x" * 4096))
attempt("shm_64mb", lambda: open("/dev/shm/big-__MARK__", "wb").write(b"x" * (64 << 20)))
print("RESULT mntns", os.readlink("/proc/self/ns/mnt"), flush=True)
'''
LOOK = '''
for place in ("/tmp", "/var/tmp", "/dev/shm"):
    print("RESULT list" + place.replace("/", "_"), ",".join(sorted(os.listdir(place))) or "-", flush=True)
base = os.path.dirname(os.path.dirname(os.getcwd()))
print("RESULT base", ",".join(sorted(os.listdir(base))), flush=True)
print("RESULT folder", os.path.basename(os.path.dirname(os.getcwd())), flush=True)
'''


def _mount_namespaces_in_use() -> set[str]:
    found = set()
    for entry in os.listdir("/proc"):
        try:
            found.add(os.readlink(f"/proc/{entry}/ns/mnt"))
        except OSError:
            pass
    return found


def _released(namespace: str, within_s: float = 10.0) -> bool:
    """True once no process holds `namespace` (killed processes may take a moment to exit on a loaded machine)."""
    deadline = time.monotonic() + within_s
    while namespace in _mount_namespaces_in_use():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@NAMESPACES
def test_a_file_planted_in_tmp_is_not_seen_by_the_next_submission(tmp_path, concat_plan):
    victim = make_folder()  # another submission's folder, at the same time
    try:
        _, planted = grade(tmp_path, hostile(PLANT.replace("__MARK__", MARK)), concat_plan)
        first = results(planted)
        assert first["plant_tmp"] == first["plant_dev_shm"] == "ALLOWED", first  # private, but usable
        assert _released(first["mntns"]), "the submission's tmpfs mounts outlived it"
        _, looked = grade(tmp_path, hostile(LOOK), concat_plan)
        seen = results(looked)
    finally:
        shutil.rmtree(victim, ignore_errors=True)
    for place in ("_tmp", "_var_tmp", "_dev_shm"):
        assert MARK not in seen["list" + place], seen
    assert seen["base"] == seen["folder"], "a worker saw other submissions' sandbox folders"
    assert not any(MARK in p.name for place in ("/tmp", "/var/tmp", "/dev/shm") for p in Path(place).iterdir())


@pytest.mark.slow
def test_isolation_holds_with_tmpdir_elsewhere(tmp_path):
    """Judge and zygote must agree on the sandbox base whatever TMPDIR says."""
    elsewhere = Path("/var/tmp") / f"grader-tmpdir-{uuid.uuid4().hex[:8]}"
    elsewhere.mkdir(mode=0o755)
    try:
        env = dict(os.environ, TMPDIR=str(elsewhere), PYTHONDONTWRITEBYTECODE="1")
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__, "-k",
                               "planted_in_tmp or no_rights_on_host"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=600)
    finally:
        subprocess.run(["rm", "-rf", "--one-file-system", str(elsewhere)], check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert ("2 passed" if namespaces_available() else "2 skipped") in done.stdout, done.stdout[-1000:]


# -- 5. the zygote survives its workers; CPU is shared ---------------------------------------------------
SIGNAL_ZYGOTE = '''
import signal
for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGQUIT"):
    attempt("signal_" + name, lambda: os.kill(os.getppid(), getattr(signal, name)))
'''


def test_signals_to_the_zygote_do_not_degrade_the_next_submission(tmp_path, concat_plan, zygote):
    pid = zygote.pid
    assert pid is not None
    grade(tmp_path, hostile(SIGNAL_ZYGOTE), concat_plan)
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):  # and from the judge's own uid, which a worker may share
        os.kill(pid, getattr(signal, name))
    time.sleep(0.5)
    result, report = grade(tmp_path, SOLUTION, concat_plan)
    assert result.score == 10 and "cold-start" not in report["flags"], report["flags"]
    assert process_zygote(hide=concat_plan.hide, show=concat_plan.show) is zygote and zygote.alive and zygote.pid == pid


@pytest.mark.slow
def test_a_dead_zygote_is_replaced_and_a_cold_start_is_recorded(tmp_path, concat_plan, monkeypatch):
    plan = dataclasses.replace(concat_plan, hide=concat_plan.hide + (str(tmp_path / "own-zygote"),))
    first = process_zygote(hide=plan.hide, show=plan.show)
    assert first.ready and first.pid
    os.kill(first.pid, signal.SIGKILL)
    time.sleep(0.5)
    result, report = grade(tmp_path, SOLUTION, plan)
    assert result.score == 10 and "cold-start" not in report["flags"], report["flags"]
    assert process_zygote(hide=plan.hide, show=plan.show) is not first
    process_zygote(hide=plan.hide, show=plan.show).stop()

    def refuse(**kwargs):
        raise OSError("no warm workers")

    monkeypatch.setattr("grader.sandbox.backend.process_zygote", refuse)
    result, report = grade(tmp_path, SOLUTION, plan)
    assert result.score == 10 and "cold-start" in report["flags"], report["flags"]


BUSY = '''
import time
children = []
for _ in range(6):
    pid = os.fork()
    if pid == 0:
        os.setsid()
        end = time.monotonic() + 3
        while time.monotonic() < end:
            pass
        cgroup = [line for line in open("/proc/self/cgroup") if ":cpu:" in line or ":cpu," in line or line.startswith("0::")]
        with open("cpu-%d" % os.getpid(), "w") as handle:
            handle.write("%f %s" % (time.process_time(), (cgroup or ["?"])[0].strip()))
        os._exit(0)
    children.append(pid)
started = time.monotonic()
for pid in children:
    os.waitpid(pid, 0)
wall = time.monotonic() - started
lines = [open(name).read().split(" ", 1) for name in os.listdir(".") if name.startswith("cpu-")]
print("RESULT cpu_s %.3f" % sum(float(used) for used, _ in lines), flush=True)
print("RESULT wall_s %.3f" % wall, flush=True)
print("RESULT cgroups", len({where for _, where in lines}), flush=True)
'''


def test_busy_children_stay_within_one_cpu_quota(tmp_path, concat_plan, monkeypatch):
    probe = cage_module.make_cage(64, 8, cpus=1.0)
    probe.close()
    if probe.cpu == "none":  # no writable cgroup cpu controller: no quota can hold, and the report must say so
        _, report = grade(tmp_path, hostile(BUSY), concat_plan)
        assert report["status"] == "graded" and report["sandbox"]["cpu"] == "none", report["sandbox"]
        return
    seen: list[tuple[str, str]] = []
    original = cage_module.CgroupCage.close

    def recording_close(self):
        folder = self.dirs.get("cpu")
        quota = "cpu.max" if (folder / "cpu.max").exists() else "cpu.cfs_quota_us"
        seen.append((self.cpu, (folder / quota).read_text().split()[0]))
        original(self)

    monkeypatch.setattr(cage_module.CgroupCage, "close", recording_close)
    _, report = grade(tmp_path, hostile(BUSY), concat_plan)
    got = results(report)
    assert float(got["cpu_s"]) <= 1.3 * float(got["wall_s"]) + 0.3, got  # six busy children, one CPU between them
    assert got["cgroups"] == "1", got  # setsid did not take any of them out of the cage
    assert seen and all(cpu == "1 CPU quota" and quota == "100000" for cpu, quota in seen), seen
    assert report["sandbox"]["cpu"] == "1 CPU quota"


# -- 7. the worker sees only what it needs ------------------------------------------------------------------
PEEK = '''
import sys
attempt("import_staff", lambda: __import__("staff___MARK__"))
attempt("read_staff", lambda: open("__STAFF__/staff___MARK__.py").read())
attempt("read_opt", lambda: open("/opt/grader-staff-__MARK__/row.txt").read())
print("RESULT opt", ",".join(os.listdir("/opt")) if os.path.isdir("/opt") else "-", flush=True)
print("RESULT path", ",".join(p for p in sys.path if "__MARK__" in p) or "-", flush=True)
'''


@NAMESPACES
def test_a_folder_on_the_judges_pythonpath_or_in_opt_is_not_visible(tmp_path, concat_plan, monkeypatch):
    staff = tmp_path / "staff"
    staff.mkdir()
    (staff / f"staff_{MARK}.py").write_text(f"ROW = 'private-row-{MARK}'\n")
    monkeypatch.syspath_prepend(str(staff))
    monkeypatch.setenv("PYTHONPATH", str(staff))
    opt = Path("/opt") / f"grader-staff-{MARK}"
    try:
        if os.access("/opt", os.W_OK):
            opt.mkdir(parents=True)
            (opt / "row.txt").write_text(f"private-row-{MARK}\n")
        # cold: the worker's root is built now, with the staff folder on the judge's sys.path
        _, report = grade(tmp_path, hostile(PEEK.replace("__MARK__", MARK).replace("__STAFF__", str(staff))),
                          dataclasses.replace(concat_plan, warm=False))
    finally:
        shutil.rmtree(opt, ignore_errors=True)
    seen = results(report)
    assert {"import_staff", "read_staff", "read_opt"} <= set(seen), seen
    assert all(seen[k] != "ALLOWED" for k in ("import_staff", "read_staff", "read_opt")), seen
    assert seen["opt"] == "-" and seen["path"] == "-", seen
    assert f"private-row-{MARK}" not in str(report)


# -- 4 (issue 24). the kernel's shared objects: IPC, keyrings, user namespaces --------------------------------
IPC = '''
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p]
CREATE = 0o1000 | 0o666  # IPC_CREAT | rw for all

def made(result):
    if result < 0:
        raise OSError(ctypes.get_errno(), "refused")

def look(what, call):
    result = call()
    print("RESULT", what, "FOUND" if result >= 0 else "absent", errno.errorcode.get(ctypes.get_errno(), ""), flush=True)

KEY, QUEUE = __KEY__, b"/__MARK__"
if "__ROLE__" == "plant":
    attempt("shm", lambda: made(libc.shmget(KEY, 4 << 20, CREATE)))
    attempt("sem", lambda: made(libc.semget(KEY, 1, CREATE)))
    attempt("msg", lambda: made(libc.msgget(KEY, CREATE)))
    attempt("mqueue", lambda: made(libc.mq_open(QUEUE, os.O_CREAT | os.O_RDWR, 0o666, None)))
    for kind, call in (("shm", lambda: libc.shmget(0, 4096, CREATE)), ("sem", lambda: libc.semget(0, 1, CREATE))):
        count = 0
        while count < 100000 and call() >= 0:  # IPC_PRIVATE until the namespace's ids run out
            count += 1
        print("RESULT exhausted_" + kind, count, errno.errorcode.get(ctypes.get_errno(), ""), flush=True)
else:
    look("shm", lambda: libc.shmget(KEY, 0, 0))
    look("sem", lambda: libc.semget(KEY, 0, 0))
    look("msg", lambda: libc.msgget(KEY, 0))
    look("mqueue", lambda: libc.mq_open(QUEUE, os.O_RDWR, 0, None))
    attempt("fresh_shm", lambda: made(libc.shmget(0, 4096, CREATE)))
    attempt("fresh_sem", lambda: made(libc.semget(0, 1, CREATE)))
'''
KEYS_AND_NAMESPACES = '''
import ctypes, subprocess
libc = ctypes.CDLL(None, use_errno=True)
NR = {"add_key": 248, "request_key": 249, "keyctl": 250, "clone3": 435}  # x86-64

def call(number, *args):
    if libc.syscall(number, *args) < 0:
        raise OSError(ctypes.get_errno(), "refused")

attempt("add_key", lambda: call(NR["add_key"], b"user", b"__MARK__", b"secret", 6, -3))  # session keyring
attempt("request_key", lambda: call(NR["request_key"], b"user", b"__MARK__", None, -3))
attempt("keyctl_session", lambda: call(NR["keyctl"], 0, -3, 0))  # KEYCTL_GET_KEYRING_ID
attempt("unshare_user", lambda: call(272, 0x10000000))  # unshare(CLONE_NEWUSER)
attempt("unshare_mount", lambda: call(272, 0x00020000))
attempt("clone3", lambda: call(NR["clone3"], None, 0))
done = subprocess.run(["unshare", "-Ur", "id", "-u"], capture_output=True, text=True)
print("RESULT unshare_Ur", "ALLOWED" if done.returncode == 0 else "denied", done.returncode, flush=True)
'''


def expected_mode() -> str:
    """bubblewrap where it is installed, the mount script where it is not or is ruled out (GRADER_NO_BWRAP)."""
    return "namespaces" if os.environ.get("GRADER_NO_BWRAP") or not shutil.which("bwrap") else "bubblewrap"


def _host_sysv_keys() -> set[int]:
    keys = set()
    for kind in ("shm", "sem", "msg"):
        lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        keys |= {int(line.split()[0]) for line in lines if line.split()}
    return keys


def _host_has_queue(name: str) -> bool:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p]
    fd = libc.mq_open(name.encode(), os.O_RDONLY, 0, None)
    if fd >= 0:
        os.close(fd)
        libc.mq_unlink(name.encode())
    return fd >= 0


@NAMESPACES
def test_ipc_objects_of_one_submission_are_not_seen_by_the_next_and_die_with_the_worker(tmp_path, concat_plan):
    key = 0x4A000000 + int(MARK[-6:], 16) % 0xFFFFF
    source = IPC.replace("__KEY__", str(key)).replace("__MARK__", MARK)
    host_before = len(_host_sysv_keys())
    _, planted = grade(tmp_path, hostile(in_child(source.replace("__ROLE__", "plant"))), concat_plan)
    made = results(planted)
    assert all(made[k] == "ALLOWED" for k in ("shm", "sem", "msg", "mqueue")), made  # usable, but its own
    assert int(made["exhausted_shm"].split()[0]) > 0 and int(made["exhausted_sem"].split()[0]) > 0, made
    assert key not in _host_sysv_keys() and not _host_has_queue("/" + MARK)  # nothing outlived the worker
    assert len(_host_sysv_keys()) <= host_before  # nor any of the thousands of ids it used up
    _, looked = grade(tmp_path, hostile(in_child(source.replace("__ROLE__", "look"))), concat_plan)
    seen = results(looked)
    assert all(seen[k].startswith("absent") for k in ("shm", "sem", "msg", "mqueue")), seen
    assert seen["fresh_shm"] == seen["fresh_sem"] == "ALLOWED", seen  # the ids it exhausted were its own
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    host_id = libc.shmget(0, 4096, 0o1000 | 0o600)  # and the host's own are all there
    assert host_id >= 0
    libc.shmctl(host_id, 0, None)  # IPC_RMID
    assert planted["sandbox"]["ipc"] == "namespace per worker" and planted["sandbox"]["mode"] == expected_mode()


@NAMESPACES
def test_keyrings_and_nested_user_namespaces_are_refused(tmp_path, concat_plan):
    _, report = grade(tmp_path, hostile(in_child(KEYS_AND_NAMESPACES.replace("__MARK__", MARK))), concat_plan)
    seen = results(report)
    assert {"add_key", "request_key", "keyctl_session", "unshare_user", "unshare_mount", "clone3",
            "unshare_Ur"} <= set(seen), seen
    assert all(outcome.startswith("denied") for outcome in seen.values()), seen
    assert MARK not in Path("/proc/keys").read_text()
    assert report["sandbox"]["syscalls"].startswith("keyrings, namespaces"), report["sandbox"]
    assert report["sandbox"]["mode"] == expected_mode()


# -- 7 (issue 24). a worker's writable space is bounded in total -------------------------------------------
FILL_HOME = '''
import errno
written, error = 0, "none"
chunk = b"x" * (1 << 20)
for index in range(4096):  # far past any cap; 64 MB per file
    try:
        with open("fill-%d" % (index // 60), "ab") as handle:
            handle.write(chunk)
            handle.flush()
        written += len(chunk)
    except OSError as exc:
        error = errno.errorcode.get(exc.errno, str(exc.errno))
        break
print("RESULT written_mb", written >> 20, flush=True)
print("RESULT error", error, flush=True)
raise OSError(errno.ENOSPC, "No space left on device")  # as a student's save that failed would
'''


@NAMESPACES
def test_filling_the_home_folder_stops_at_the_submissions_cap_and_is_flagged(tmp_path, concat_plan):
    from grader.assignments import Limits

    plan = dataclasses.replace(concat_plan, limits=Limits(request_s=60, submission_s=120, max_file_mb=1, disk_mb=48))
    _, report = grade(tmp_path, hostile(FILL_HOME), plan)
    seen = results(report)
    assert seen["error"] == "ENOSPC" and 40 <= int(seen["written_mb"]) <= 48, seen
    assert "disk-limit" in report["flags"], report["flags"]
    assert any("filled the 48 MB of disk space" in t["message"] for t in report["tests"]), report["tests"]
    assert "MB home folder (tmpfs) per submission" in report["sandbox"]["disk"]
    assert report["sandbox"]["mode"] == expected_mode()


@pytest.mark.slow
def test_the_kernel_and_disk_cases_hold_with_the_mount_script_where_bubblewrap_is_missing():
    """The fallback gets the IPC namespace, the seccomp filter and the disk cap too (bwrap made unavailable)."""
    env = dict(os.environ, GRADER_NO_BWRAP="1", PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__, "-k",
                           "ipc_objects or keyrings or filling_the_home or no_rights_on_host"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert ("4 passed" if namespaces_available() else "4 skipped") in done.stdout, done.stdout[-1000:]


# -- 1 (again). the same protections when the grader is an ordinary user ----------------------------------
def run_as_ordinary_user(mode: str = "bubblewrap", **script: str) -> subprocess.CompletedProcess[str]:
    """Run hostile cases (`_nonroot_script`'s `target` and `keyword`) with pytest as a freshly created ordinary
    user, with bubblewrap or (`mode="namespaces"`) with the mount script."""
    user = "grader-hostile"
    if subprocess.run(["id", user], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", user], check=True)
    home = Path(subprocess.run(["sh", "-c", f"getent passwd {user} | cut -d: -f6"], capture_output=True,
                               text=True, check=True).stdout.strip())
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                           _nonroot_script(user, home, mode, **script)], capture_output=True, text=True, timeout=1200)


def _nonroot_script(user: str, home: Path, mode: str, *, target: str = __file__,
                    keyword: str = "no_rights_on_host or planted_in_tmp or capture_files or pythonpath or "
                                   "signals_to_the_zygote or ipc_objects or keyrings or filling_the_home") -> str:
    """Shell for a private mount namespace: make Python and the checkout reachable by `user`, then run
    `target`'s hostile cases (`keyword`, default this file's) as `user`. Folders on the way that others cannot
    enter (/root, where pyenv and many CI checkouts live) are replaced by an empty tmpfs holding only what is
    needed."""
    needed = [Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), ROOT]
    blocked = sorted({_first_closed(p) for p in needed} - {None}, key=lambda p: len(p.parts))
    lines = ["set -e", "mkdir -p /run/grader-nonroot"]
    for index, path in enumerate(needed):
        lines.append(f"mkdir -p /run/grader-nonroot/{index} && mount --bind {path} /run/grader-nonroot/{index}")
    lines += [f"mount -t tmpfs -o mode=0755 tmpfs {folder}" for folder in blocked]
    for index, path in enumerate(needed):
        lines.append(f"mkdir -p {path} && mount --bind /run/grader-nonroot/{index} {path}")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", target, "-k", keyword]
    no_bwrap = "GRADER_NO_BWRAP=1 " if mode == "namespaces" else ""
    lines.append(f"cd {ROOT} && exec runuser -u {user} -- env HOME={home} PYTHONDONTWRITEBYTECODE=1 {no_bwrap}"
                 f"GRADER_CACHE={home}/cache " + shlex.join(command))
    return "\n".join(lines)


def _first_closed(path: Path) -> Path | None:
    """The outermost folder above `path` that other users cannot enter, if any."""
    for parent in reversed(path.parents):
        if parent != Path("/") and not os.stat(parent).st_mode & stat.S_IXOTH:
            return parent
    return None


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("runuser"),
                    reason="creating an ordinary user needs root, useradd and runuser")
@pytest.mark.parametrize("mode", ["bubblewrap", "namespaces"])
def test_the_hostile_cases_hold_for_a_grader_run_as_an_ordinary_user(mode):
    done = run_as_ordinary_user(mode)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    # all ten ran and passed: none skipped (namespaces worked as that user), none failed
    assert done.stdout.splitlines()[-1].startswith("10 passed, "), done.stdout[-2000:]
