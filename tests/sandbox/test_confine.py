"""grader.sandbox.confine: what a new worker does to itself before student code runs.

Each case runs in a child Python (rlimits, socket patches and mounts must not touch the test
process). The mount case runs the child in a private mount namespace of its own, so nothing it
mounts can reach the host.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from grader.sandbox.isolation import namespaces_available

PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


def _child(code: str, *, wrapper: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": PACKAGE_PARENT}
    return subprocess.run([*wrapper, sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=60, env=env, check=False)


def test_apply_limits_caps_files_and_core_dumps_and_a_write_past_the_cap_fails_instead_of_killing(tmp_path):
    done = _child(f"""
        import errno, os, resource
        from grader.sandbox.confine import WorkerLimits, apply_limits
        apply_limits(WorkerLimits(file_mb=1, open_files=40))
        print("FSIZE", resource.getrlimit(resource.RLIMIT_FSIZE)[0])
        print("NOFILE", resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        print("CORE", resource.getrlimit(resource.RLIMIT_CORE)[0])
        try:
            with open({str(tmp_path / "big")!r}, "wb") as f:
                f.write(b"x" * 3_000_000)
            print("WROTE")
        except OSError as exc:
            print("REFUSED", exc.errno == errno.EFBIG)
        files = []
        try:
            for _ in range(60):
                files.append(open(os.devnull))
            print("OPENED-ALL")
        except OSError as exc:
            print("TOO-MANY", exc.errno == errno.EMFILE)
        print("ALIVE")
    """)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split("\n")
    assert f"FSIZE {1024 * 1024}" in lines and "NOFILE 40" in lines and "CORE 0" in lines
    assert "REFUSED True" in lines and "TOO-MANY True" in lines and "ALIVE" in lines
    assert (tmp_path / "big").stat().st_size <= 1024 * 1024


def test_apply_limits_never_asks_for_more_than_a_lower_hard_limit():
    done = _child("""
        import resource
        from grader.sandbox.confine import WorkerLimits, apply_limits
        resource.setrlimit(resource.RLIMIT_NOFILE, (30, 30))
        apply_limits(WorkerLimits(open_files=512))
        print(*resource.getrlimit(resource.RLIMIT_NOFILE))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["30", "30"]


def test_guard_sockets_refuses_connections_binds_sends_and_lookups():
    done = _child("""
        import socket
        from grader.sandbox.confine import guard_sockets
        guard_sockets()
        attempts = {
            "create_connection": lambda: socket.create_connection(("127.0.0.1", 9)),
            "getaddrinfo": lambda: socket.getaddrinfo("example.org", 80),
            "connect": lambda: socket.socket().connect(("127.0.0.1", 9)),
            "connect_ex": lambda: socket.socket().connect_ex(("127.0.0.1", 9)),
            "bind": lambda: socket.socket().bind(("127.0.0.1", 0)),
            "sendto": lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", 9)),
        }
        for name, attempt in attempts.items():
            try:
                attempt()
                print(name, "ALLOWED")
            except PermissionError as exc:
                print(name, "REFUSED", "network access is disabled" in str(exc))
    """)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().split("\n")
    assert len(lines) == 6 and all(line.endswith("REFUSED True") for line in lines), lines


MOUNTS = """
    import os, sys
    from pathlib import Path
    from grader.sandbox import confine
    base, planted, prepared, scratch = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "prepared", sys.argv[4]
    folder = base / "w1"
    if prepared:  # the mount script makes the parking place in the worker's root; here, on a private /run
        confine._mount("tmpfs", "/run", "tmpfs", 0, "size=64k")
        os.mkdir(confine.PARK)
    try:
        confine._private_mounts(folder, base)
    except OSError as exc:
        print("REFUSED", exc)
        raise SystemExit(0)
    print("TMP", sorted(os.listdir("/tmp")))
    print("PLANTED", os.path.exists(planted))
    print("BASE", sorted(os.listdir(base)))
    print("FOLDER", sorted(os.listdir(folder)))
    for target in (folder / "planted", folder / "home" / "mine", Path("/tmp", scratch), Path("/dev/shm", scratch)):
        try:
            target.write_text("x")
            print("WRITABLE", target.parent)
        except OSError:
            print("READ-ONLY", target.parent)
    print("PARK", os.listdir(confine.PARK))
"""


def _scratch() -> str:
    return f"scratch-{os.getpid()}"


def _mounts_child(base: Path, planted: Path, *, prepared: bool) -> subprocess.CompletedProcess[str]:
    wrapper: tuple[str, ...] = ()
    if prepared:
        wrapper = ("unshare", "--mount", "--propagation", "private") + (("--map-root-user",) if os.geteuid() else ())
    return subprocess.run([*wrapper, sys.executable, "-c", textwrap.dedent(MOUNTS), str(base), str(planted),
                           "prepared" if prepared else "bare", _scratch()],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": PACKAGE_PARENT},
                          check=False)


def test_private_mounts_give_a_fresh_tmp_and_only_the_workers_own_folder(tmp_path):
    """By default the base lies under /tmp: the worker's folder must survive /tmp's replacement."""
    base = tmp_path / "base"
    (base / "w1" / "home").mkdir(parents=True)
    (base / "w1" / "submission.py").write_text("code")
    (base / "w2" / "home").mkdir(parents=True)  # another worker's folder
    planted = Path("/tmp") / f"planted-by-test-{os.getpid()}"
    planted.write_text("left by an earlier submission")
    try:
        if not namespaces_available():  # no mount namespaces: the worker fails closed instead of running unconfined
            done = _mounts_child(base, planted, prepared=False)
            assert done.returncode == 0 and done.stdout.startswith("REFUSED"), (done.stdout, done.stderr)
            return
        done = _mounts_child(base, planted, prepared=True)
    finally:
        planted.unlink()
        leaked = [Path(d, _scratch()) for d in ("/tmp", "/dev/shm") if Path(d, _scratch()).exists()]
        for path in leaked:
            path.unlink()
    assert done.returncode == 0, done.stderr
    in_tmp = [base.relative_to("/tmp").parts[0]] if base.is_relative_to("/tmp") else []
    folder = base / "w1"
    assert done.stdout.strip().split("\n") == [
        f"TMP {in_tmp}", "PLANTED False", "BASE ['w1']", "FOLDER ['home', 'submission.py']",
        f"READ-ONLY {folder}", f"WRITABLE {folder / 'home'}", "WRITABLE /tmp", "WRITABLE /dev/shm",
        "PARK []"]  # the parked bind is detached
    assert (folder / "home" / "mine").read_text() == "x"  # home is the worker's real folder
    assert not (folder / "planted").exists() and leaked == []  # the worker's /tmp and /dev/shm were its own
