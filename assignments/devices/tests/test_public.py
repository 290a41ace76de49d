"""Public specs for `devices`: run them with `grader check devices devices.py`.

The grader runs these once per device leg. On the CPU leg no GPU is visible and the
process has two logical CPU devices; on a GPU leg the expected names follow the GPUs
TensorFlow really sees (`gpu_count` below, reported by the grading process). On every leg the
GPU branch is also checked with GPUs the grader simulates (FAKE_GPUS below). A device name counts
when TensorFlow maps it to the right device: '/GPU:1', '/device:GPU:1' and 'gpu:1' are the same
answer (tf.DeviceSpec reads them in the worker).
"""
import numpy as np

from grader.spec import check, clause, dense_weights, fail, points

# The contract's sentences (ASSIGNMENTS.md) the specs check; hidden specs use the same.
NUM_GPUS = "num_gpus() returns the number of visible GPUs"
TRY_GPU = "try_gpu(i=0) returns the name of GPU i if that GPU exists, else of the CPU ('/CPU:0')"
TRY_ALL = "try_all_gpus() returns the names of all GPUs, or ['/CPU:0'] if there is none"
MIRRORED = "build_mirrored(build_fn) calls build_fn() under a MirroredStrategy and returns its model, mirrored"

# The GPU branch is checked on any machine: while the probe `with_fake_gpus` runs, TensorFlow's
# device listings (tf.config.list_physical_devices / list_logical_devices / get_visible_devices and
# their tf.config.experimental twins, asked for "GPU" or for every device), tf.test.is_gpu_available,
# tf.test.gpu_device_name and device_lib.list_local_devices report FAKE_GPUS stand-in GPUs named
# like real ones. Nothing runs on them: only what the functions answer is checked.
FAKE_GPUS = 3


def simulated(submission, indices=()):
    """num_gpus(), try_gpu(i) for each index and try_all_gpus(), while TensorFlow reports FAKE_GPUS GPUs."""
    return submission.call("with_fake_gpus", count=FAKE_GPUS, indices=list(indices))


def device_of(value, what):
    """A returned device name and the device TensorFlow maps it to, (type, index); or a failure saying
    what came back instead. '/GPU:1', '/device:GPU:1' and 'gpu:1' are the same device to TensorFlow."""
    __tracebackhide__ = True
    if isinstance(value, dict) and "name" in value:
        if value["spec"] is None:
            fail(f"{what} returned {value['name']!r}, which TensorFlow does not read as a device name "
                 f"({value['spec_error']}).")
        kind, index = value["spec"]
        return value["name"], (kind, index)
    if isinstance(value, dict):
        inside = f" for {value['device']!r}" if value.get("device") else ""
        fail(f"{what} returned a {value.get('type')} object{inside}, not a device name string such as "
             f"'/CPU:0'. The lecture's try_gpu returns tf.device(...); return the name itself.")
    fail(f"{what} should return a device name string such as '/CPU:0', not {value!r}.")
    raise AssertionError  # unreachable: fail() raised


def which(device):
    """How a message names a device: 'GPU 1', 'CPU 0', or what is missing from the name."""
    kind, index = device
    if kind is None:
        return "no device type"
    return f"{kind} {index}" if index is not None else f"a {kind} but no device number"


def check_device(value, expected, what, setting):
    """The name returned names the expected device, (type, index), whatever its spelling."""
    __tracebackhide__ = True
    name, got = device_of(value, what)
    want = f"/{expected[0]}:{expected[1]}"
    check(got == tuple(expected), f"{what} {setting} should return {want!r} (or another name TensorFlow maps to "
          f"{which(expected)}, such as '/device:{expected[0]}:{expected[1]}'), but returned {name!r}, which names "
          f"{which(got)}.")


@points(1)
@clause(NUM_GPUS)
def test_num_gpus_counts_visible_gpus(submission):
    answer = submission.call("num_gpus")
    value, gpus = answer["value"], answer["gpu_count"]
    check(type(value) is int, f"num_gpus() should return an int (how many GPUs), not {value!r}.")
    check(value == gpus, f"num_gpus() returned {value}, but TensorFlow sees {gpus} GPU(s) here.")
    faked = simulated(submission)["num_gpus"]
    check(faked["error"] is None, f"num_gpus() raised {faked['error']} on a machine with {FAKE_GPUS} GPUs "
          "(simulated by the grader).")
    check(faked["value"] == FAKE_GPUS and type(faked["value"]) is int, f"num_gpus() returned {faked['value']!r} "
          f"on a machine with {FAKE_GPUS} GPUs (simulated by the grader: tf.config.list_physical_devices('GPU') "
          f"lists {FAKE_GPUS}); count the GPUs TensorFlow lists.")


@points(1)
@clause(TRY_GPU)
def test_try_gpu_first_device(submission):
    answer = submission.call("try_gpu", indices=[0])
    expected = ("GPU", 0) if answer["gpu_count"] > 0 else ("CPU", 0)
    setting = f"with {answer['gpu_count']} GPU(s) visible"
    for what, value in (("try_gpu()", answer["default"]), ("try_gpu(0)", answer["values"][0])):
        check_device(value, expected, what, setting)
    default = answer["default_index"]  # without GPUs try_gpu() is '/CPU:0' whatever the default: read it
    check(default in (0, "unknown"), f"try_gpu's argument should default to 0 (try_gpu(i=0): the first GPU), "
          f"but its default is {default}.")


@points(1.5)
@clause(MIRRORED)
def test_build_mirrored_mirrors_variables(submission, rng):
    # Always (8, 4) inputs and Dense(3): TensorFlow reuses collective-op keys across MirroredStrategy
    # objects in one process, and an all-reduce of another shape later in the same process aborts.
    X = rng.normal(size=(8, 4)).astype(np.float32)
    w = dense_weights(rng, 4, 3)
    answer = submission.call("mirrored", weights=w, X=X, y=np.zeros((8, 3), np.float32), learning_rate=0.1)
    if answer["calls"] == 0:
        fail("build_mirrored(build_fn) never called build_fn().")
    variables = answer["variables"]
    check(len(variables) == 2, "The model returned by build_mirrored should have the Dense layer's kernel and "
          "bias; return the model that build_fn() built.")
    for v in variables:
        check(v["mirrored"], f"The model's variables should be MirroredVariable, but one is a {v['kind']}: "
              "call build_fn() inside `with strategy.scope():` of a tf.distribute.MirroredStrategy.")
