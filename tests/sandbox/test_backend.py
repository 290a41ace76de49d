"""grader.sandbox.backend: one backend per process, chosen from what the machine has, and stated."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from grader.sandbox import host
from grader.sandbox.backend import LinuxBackend, PlainBackend, current_backend
from grader.sandbox.confine import WorkerLimits
from grader.sandbox.isolation import current_isolation, namespaces_available
from grader.sandbox.plain import PlainWorker
from grader.sandbox.workers import Runtime, make_folder

CONTRACT_KEYS = {"mode", "network", "filesystem", "uid", "dev", "proc", "limits", "cpu"}


@pytest.fixture
def choose_again() -> Iterator[None]:
    """Forget this process's choice, and forget the test's one afterwards."""
    current_backend.cache_clear()
    host.linux_missing.cache_clear()
    yield
    current_backend.cache_clear()
    host.linux_missing.cache_clear()


def test_this_linux_machine_gets_the_linux_cage_and_says_which_isolation(choose_again):
    chosen = current_backend()
    assert isinstance(chosen, LinuxBackend) and current_backend() is chosen  # once per process
    sandbox = chosen.sandbox()
    assert set(sandbox) == CONTRACT_KEYS
    assert sandbox["mode"] == ("namespaces" if namespaces_available() else "none")
    assert {k: sandbox[k] for k in ("network", "filesystem", "uid")} == {
        k: current_isolation().to_dict()[k] for k in ("network", "filesystem", "uid")}


def test_a_machine_without_fork_gets_plain_workers_and_the_reason(choose_again, monkeypatch):
    monkeypatch.delattr("os.fork")
    chosen = current_backend()
    assert isinstance(chosen, PlainBackend)
    sandbox = chosen.sandbox()
    assert CONTRACT_KEYS <= set(sandbox) and sandbox["mode"] == "none" and sandbox["filesystem"] == "none"
    assert sandbox["reason"] == "this machine lacks os.fork" and sandbox["limits"] == "rlimits and the wall clock"


def test_grader_sandbox_none_chooses_plain_anywhere(choose_again, monkeypatch):
    monkeypatch.setenv("GRADER_SANDBOX", "none")
    assert current_backend().sandbox()["reason"] == "GRADER_SANDBOX=none"


def test_plain_backend_starts_a_spawned_worker_that_loads_code():
    chosen = PlainBackend("test")
    chosen.prestart(Runtime(), (), ())  # nothing to warm: no zygote is started
    worker = chosen.launch(make_folder(), WorkerLimits(), warm=True, runtime=Runtime(), hide=(), show=())
    try:
        assert isinstance(worker, PlainWorker) and worker.alive()
        probes = worker.folder / "home" / "probes.py"
        probes.write_text("")
        reply = worker.request({"op": "load", "code": "import os\nx = os.getcwd()\n", "probes": str(probes),
                                "names": ["x"], "seed": 0}, 120)
        assert reply["ok"] and reply["value"]["defined"] == ["x"] and worker.started
    finally:
        worker.close()
