"""Public specs for `devices`: run them with `grader check devices devices.py`.

The grader runs these once per device leg. On the CPU leg no GPU is visible and the
process has two logical CPU devices; on a GPU leg the expected names follow the GPUs
TensorFlow really sees (`gpu_count` below, reported by the grading process).
"""
import numpy as np

from grader.spec import check, dense_weights, fail, points


def device_name(value, what):
    """A returned device name, or a failure saying what came back instead."""
    __tracebackhide__ = True
    if isinstance(value, dict):
        inside = f" for {value['device']!r}" if value.get("device") else ""
        fail(f"{what} returned a {value.get('type')} object{inside}, not a device name string such as "
             f"'/CPU:0'. The lecture's try_gpu returns tf.device(...); return the name itself.")
    check(isinstance(value, str), f"{what} should return a string such as '/CPU:0', not {value!r}.")
    return value


@points(1)
def test_num_gpus_counts_visible_gpus(submission):
    answer = submission.call("num_gpus")
    value, gpus = answer["value"], answer["gpu_count"]
    check(type(value) is int, f"num_gpus() should return an int (how many GPUs), not {value!r}.")
    check(value == gpus, f"num_gpus() returned {value}, but TensorFlow sees {gpus} GPU(s) here.")


@points(1)
def test_try_gpu_first_device(submission):
    answer = submission.call("try_gpu", indices=[0])
    expected = "/GPU:0" if answer["gpu_count"] > 0 else "/CPU:0"
    setting = f"with {answer['gpu_count']} GPU(s) visible"
    for what, value in (("try_gpu()", answer["default"]), ("try_gpu(0)", answer["values"][0])):
        name = device_name(value, what)
        check(name == expected, f"{what} {setting} should return {expected!r}, but returned {name!r}.")
    default = answer["default_index"]  # without GPUs try_gpu() is '/CPU:0' whatever the default: read it
    check(default in (0, "unknown"), f"try_gpu's argument should default to 0 (try_gpu(i=0): the first GPU), "
          f"but its default is {default}.")


@points(1.5)
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
