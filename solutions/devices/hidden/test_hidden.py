"""Hidden specs for `devices` (grader only). Each names the mistake it exists to catch.

Expectations follow the devices the worker reports: `gpu_count` from
tf.config.list_physical_devices("GPU") (0 on the CPU leg, where CUDA_VISIBLE_DEVICES=-1)
and the logical CPU devices the grader configured before the student's code ran
(assignment.toml: [worker] logical_cpus = 2). MirroredStrategy() mirrors over all GPUs,
or over all logical CPUs when there is no GPU.

Each test checks one clause of the contract (`clause`). The stand-in GPUs (the public spec's
FAKE_GPUS, see its `simulated`) reach try_gpu and try_all_gpus only when num_gpus() counts them: a
way of counting they do not reach is test_num_gpus_counts_visible_gpus' clause, so the other
functions are then not judged on the stand-ins (no second charge).
"""
import numpy as np

from grader.spec import assert_close, check, clause, dense_weights, fail, points, public_spec

public = public_spec("devices")
FAKE_GPUS = public.FAKE_GPUS


def short(device):
    """'/job:localhost/replica:0/task:0/device:CPU:1' -> 'CPU:1'."""
    return str(device).rsplit("device:", 1)[-1].lstrip("/").upper()


def expected_devices(answer):
    if answer["gpu_count"] > 0:
        return [f"GPU:{i}" for i in range(answer["gpu_count"])]
    return [short(d) for d in answer["cpu_devices"]]


# One shape for every mirrored model in a worker: TensorFlow reuses collective-op keys across
# MirroredStrategy objects in one process, and a later all-reduce of another shape aborts.
N_IN, N_OUT, BATCH = 4, 3, 8


def mirrored(submission, rng, lr=0.1):
    n_in, n_out, batch = N_IN, N_OUT, BATCH
    X = rng.normal(size=(batch, n_in)).astype(np.float32)
    y = rng.normal(size=(batch, n_out)).astype(np.float32)
    w = dense_weights(rng, n_in, n_out)
    answer = submission.call("mirrored", weights=w, X=X, y=y, learning_rate=lr)
    if answer["calls"] == 0:
        fail("build_mirrored(build_fn) never called build_fn().")
    return answer, X, y, w


@points(1.5)
@clause(public.TRY_GPU)
def test_try_gpu_past_the_last_gpu(submission, rng):
    """Catches: `num_gpus() >= i` (off by one), names of GPUs that do not exist, ignoring i; and, with
    stand-in GPUs, `> i + 1`, `>= i + 2`, returning something else than GPU i (such as '/CPU:i')."""
    probe = submission.call("num_gpus")
    gpus = int(probe["gpu_count"])
    indices = sorted({gpus, gpus + 1, 3, int(rng.integers(gpus + 2, gpus + 9))} | set(range(gpus)))
    answer = submission.call("try_gpu", indices=indices)
    for i, value in zip(indices, answer["values"]):
        expected = ("GPU", i) if i < gpus else ("CPU", 0)
        hint = " (GPUs are numbered from 0)" if i == gpus else ""
        public.check_device(value, expected, f"try_gpu({i})", f"with {gpus} GPU(s) visible{hint}")
    faked = gpu_branch(submission, list(range(FAKE_GPUS + 2)))
    if faked is None:
        return
    for i, answer in enumerate(faked["try_gpu"]):
        what = f"try_gpu({i})"
        check(answer["error"] is None, f"{what} raised {answer['error']} on a machine with {FAKE_GPUS} GPUs.")
        expected = ("GPU", i) if i < FAKE_GPUS else ("CPU", 0)
        public.check_device(answer["value"], expected, what, f"on a machine with {FAKE_GPUS} GPUs (GPU 0 to "
                            f"GPU {FAKE_GPUS - 1}, simulated by the grader)")


def gpu_branch(submission, indices=()):
    """What the functions answer while the grader simulates FAKE_GPUS GPUs, or None when num_gpus()
    does not see them (that is test_num_gpus_counts_visible_gpus' clause: no second charge here)."""
    __tracebackhide__ = True
    answer = public.simulated(submission, indices)
    seen = answer["num_gpus"]["value"]
    return answer if seen == FAKE_GPUS and type(seen) is int else None


@points(1.5)
@clause(public.TRY_ALL)
def test_try_all_gpus(submission):
    """Catches: [] without GPUs (the lecture's code), device contexts instead of names, wrong count; and,
    with stand-in GPUs, ['/CPU:0'] whatever the GPUs, or GPU names spelled '/CPU:i'."""
    answer = submission.call("try_all_gpus")
    gpus, value = answer["gpu_count"], answer["value"]
    check_device_list(value, gpus, f"try_all_gpus() with {gpus} GPU(s) visible")
    faked = gpu_branch(submission)
    if faked is None:
        return
    got = faked["try_all_gpus"]
    what = f"try_all_gpus() on a machine with {FAKE_GPUS} GPUs (simulated by the grader)"
    check(got["error"] is None, f"{what} raised {got['error']}.")
    check_device_list(got["value"], FAKE_GPUS, what)


def check_device_list(value, gpus, what):
    """A list naming GPU 0 to GPU gpus - 1 in order, or the CPU alone when there is no GPU."""
    __tracebackhide__ = True
    expected = [("GPU", i) for i in range(gpus)] or [("CPU", 0)]
    shown = [f"/{kind}:{index}" for kind, index in expected]
    check(isinstance(value, list), f"{what} should return a list of device names, not {value!r}.")
    if not value and gpus == 0:
        fail(f"{what} returned []; it should return ['/CPU:0'] when there is no GPU.")
    named = [public.device_of(v, what) for v in value]
    got = [device for _, device in named]
    check(got == expected, f"{what} should return {shown} (or other names TensorFlow maps to the same devices), "
          f"but returned {[name for name, _ in named]}, which names {[public.which(d) for d in got]}.")


@points(1.5)
@clause(public.MIRRORED)
def test_mirrored_over_all_devices(submission, rng):
    """Catches: a strategy over one device (MirroredStrategy(try_all_gpus()) on CPUs, OneDeviceStrategy)."""
    answer, *_ = mirrored(submission, rng)
    expected = expected_devices(answer)
    variables = answer["variables"]
    check(bool(variables) and all(v["distributed"] for v in variables),
          "The model's variables are not distributed: build the model inside the strategy's scope.")
    check(answer["replicas"] == len(expected),
          f"The strategy runs {answer['replicas']} replica(s), but {len(expected)} devices are available "
          f"({', '.join(expected)}); let MirroredStrategy() use all of them.")
    for v in variables:
        got = [short(d) for d in v["devices"]]
        check(sorted(got) == sorted(expected),
              f"A variable is mirrored on {got}, but should be mirrored on every available device {expected}.")


@points(1)
@clause(public.MIRRORED)
def test_build_fn_called_once_and_returned(submission, rng):
    """Catches: building twice (once outside the scope), returning another model or nothing.
    (Whether the variables are mirrored is test_build_mirrored_mirrors_variables' clause.)"""
    answer, *_ = mirrored(submission, rng)
    check(answer["calls"] == 1, f"build_mirrored should call build_fn() once, but called it {answer['calls']} times.")
    check(bool(answer["same_model"]), "build_mirrored should return the model that build_fn() built.")


@points(1)
@clause(public.MIRRORED)
def test_mirrored_model_computes_and_trains(submission, rng):
    """Catches: a mirrored model that computes or trains differently from the one-device model."""
    lr = float(rng.uniform(0.05, 0.2))
    answer, X, y, (W, b) = mirrored(submission, rng, lr)
    check(answer["output"] is not None, "build_mirrored did not return the Keras model that build_fn() built.")
    assert_close(answer["output"], X @ W + b, "The mirrored model's output with the kernel and bias set")
    grad = 2.0 * (X @ W + b - y) / y.size  # mean squared error over the batch and the outputs
    trained = answer["trained"]
    check(isinstance(trained, list) and len(trained) == 2, "The mirrored model should have a kernel and a bias.")
    assert_close(trained[0], W - lr * X.T @ grad, "The kernel after one SGD step of fit on the mirrored model")
    assert_close(trained[1], b - lr * grad.sum(0), "The bias after one SGD step of fit on the mirrored model")
