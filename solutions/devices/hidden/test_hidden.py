"""Hidden specs for `devices` (grader only). Each names the mistake it exists to catch.

Expectations follow the devices the worker reports: `gpu_count` from
tf.config.list_physical_devices("GPU") (0 on the CPU leg, where CUDA_VISIBLE_DEVICES=-1)
and the logical CPU devices the grader configured before the student's code ran
(assignment.toml: [worker] logical_cpus = 2). MirroredStrategy() mirrors over all GPUs,
or over all logical CPUs when there is no GPU.
"""
import numpy as np

from grader.spec import assert_close, check, dense_weights, fail, points


def device_name(value, what):
    __tracebackhide__ = True
    if isinstance(value, dict):
        inside = f" for {value['device']!r}" if value.get("device") else ""
        fail(f"{what} returned a {value.get('type')} object{inside}, not a device name string such as '/CPU:0'.")
    check(isinstance(value, str), f"{what} should return a string such as '/CPU:0', not {value!r}.")
    return value


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
def test_try_gpu_past_the_last_gpu(submission, rng):
    """Catches: `num_gpus() >= i` (off by one), names of GPUs that do not exist, ignoring i; and, with
    stand-in GPUs (_try_gpu_with_gpus), `> i + 1`, `>= i + 2` and returning something else than "/GPU:i"."""
    probe = submission.call("num_gpus")
    gpus = int(probe["gpu_count"])
    indices = sorted({gpus, gpus + 1, 3, int(rng.integers(gpus + 2, gpus + 9))} | set(range(gpus)))
    answer = submission.call("try_gpu", indices=indices)
    for i, value in zip(indices, answer["values"]):
        name = device_name(value, f"try_gpu({i})")
        expected = f"/GPU:{i}" if i < gpus else "/CPU:0"
        check(name == expected, f"try_gpu({i}) with {gpus} GPU(s) visible should return {expected!r}, "
              f"but returned {name!r}" + (" (GPUs are numbered from 0)." if i == gpus else "."))
    _try_gpu_with_gpus(submission)


FAKE_GPUS = 3


def _try_gpu_with_gpus(submission):
    """try_gpu's index logic where GPUs exist, on any machine: while TensorFlow's device listings
    report FAKE_GPUS stand-in GPUs, try_gpu(i) must name GPU i for i < FAKE_GPUS and give '/CPU:0'
    past the last. Checked only when num_gpus() then reports FAKE_GPUS, i.e. when the stand-ins
    reach the way the student counts GPUs (a num_gpus that is wrong is
    test_num_gpus_counts_visible_gpus' clause, and a way of counting the stand-ins do not reach
    must not cost points here)."""
    __tracebackhide__ = True
    answer = submission.call("try_gpu_with_fake_gpus", count=FAKE_GPUS, indices=list(range(FAKE_GPUS + 2)))
    if answer["num_gpus"] != FAKE_GPUS or type(answer["num_gpus"]) is not int:
        return
    for i, value in enumerate(answer["values"]):
        name = device_name(value, f"try_gpu({i}) on a machine with {FAKE_GPUS} GPUs")
        expected = f"/GPU:{i}" if i < FAKE_GPUS else "/CPU:0"
        check(name == expected, f"On a machine with {FAKE_GPUS} GPUs (GPU:0 to GPU:{FAKE_GPUS - 1}), try_gpu({i}) "
              f"should return {expected!r}, but returned {name!r}.")


@points(1.5)
def test_try_all_gpus(submission):
    """Catches: [] without GPUs (the lecture's code), device contexts instead of names, wrong count."""
    answer = submission.call("try_all_gpus")
    gpus, value = answer["gpu_count"], answer["value"]
    expected = [f"/GPU:{i}" for i in range(gpus)] or ["/CPU:0"]
    check(isinstance(value, list), f"try_all_gpus() should return a list of device names, not {value!r}.")
    names = [device_name(v, "try_all_gpus()") for v in value]
    if not names and gpus == 0:
        fail("try_all_gpus() returned [] on a machine without GPUs; it should return ['/CPU:0'] then.")
    check(names == expected, f"try_all_gpus() with {gpus} GPU(s) visible should return {expected!r}, "
          f"but returned {names!r}.")


@points(1.5)
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
def test_build_fn_called_once_and_returned(submission, rng):
    """Catches: building twice (once outside the scope), returning another model or nothing.
    (Whether the variables are mirrored is test_build_mirrored_mirrors_variables' clause.)"""
    answer, *_ = mirrored(submission, rng)
    check(answer["calls"] == 1, f"build_mirrored should call build_fn() once, but called it {answer['calls']} times.")
    check(bool(answer["same_model"]), "build_mirrored should return the model that build_fn() built.")


@points(1)
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
