"""Public specs for `lenet`: run them with `grader check lenet lenet.py`."""
import numpy as np

from grader.spec import check, clause, describe_difference, example_entry, fail, points

# The contract's sentences (ASSIGNMENTS.md) the specs check; hidden specs use the same.
CHANNELS = ("to_channels_last maps (N, 28, 28) or (N, 784) to (N, 28, 28, 1) float32, keeping each image's pixel "
            "order")
REJECTS = "to_channels_last raises ValueError for any other shape"
LENET = ("build_lenet(activation) returns the lecture's LeNet for 28 x 28 x 1 inputs, hidden layers with "
         "`activation`, Dense(10, softmax) last")
DEFAULT = "build_lenet's activation defaults to sigmoid"
FLATTEN = "flatten_size(height, width) returns how many features reach the first Dense layer"


def check_pixels(value, expected, what):
    """The pixels came back as they went in, or a message saying how they differ: rescaled (every value
    off by one factor, as dividing by 255 does), moved around (transposed, another order), or changed."""
    __tracebackhide__ = True
    if np.array_equal(value, expected):
        return
    example = example_entry(value, expected)
    scale = expected != 0
    factor = float(np.median(value[scale] / expected[scale])) if scale.any() else 0.0
    if factor not in (0.0, 1.0) and np.allclose(value, factor * expected, rtol=1e-5, atol=1e-7):
        size = f"1/{1 / factor:.4g}" if abs(factor) < 1 else f"{factor:.4g}"
        fail(f"{what} rescaled the pixel values: each came back multiplied by {size}. It should only reshape "
             "them, keeping every value as it is.", example=example)
    kind = describe_difference(value, expected, rtol=1e-6, atol=1e-7)
    if kind.startswith(("the values are transposed", "the values are right but in the wrong places")):
        fail(f"{what} moved pixels around ({kind.split(' (')[0]}): row r, column c of image i should stay at "
             "[i, r, c, 0], with the channel last.", example=example)
    fail(f"{what} changed the pixel values" + (f" ({kind})" if kind else "") + "; it should only reshape them, "
         "keeping every value as it is.", example=example)


@points(1)
@clause(CHANNELS)
def test_to_channels_last_on_flat_images(submission, rng):
    n = int(rng.integers(2, 6))
    X = rng.random((n, 784), dtype=np.float32)
    answer = submission.call("channels_last", X=X)
    value = answer["value"]
    check(isinstance(value, np.ndarray) and value.shape == (n, 28, 28, 1),
          f"to_channels_last on a ({n}, 784) array should return shape ({n}, 28, 28, 1), "
          f"but returned {getattr(value, 'shape', 'something without a shape')}.")
    check(answer["dtype"] == "float32", f"to_channels_last should return float32, but returned {answer['dtype']}.")
    check_pixels(value, X.reshape(n, 28, 28, 1), f"to_channels_last on a ({n}, 784) array")


@points(1)
@clause(LENET)
def test_lenet_has_61706_parameters(submission):
    count = submission.call("lenet_layers")["count_params"]
    hint = " (44,426 is what you get when the first Conv2D lacks padding=\"same\")" if count == 44426 else ""
    check(count == 61706, f"build_lenet() has {count:,} parameters, but the lecture's LeNet for 28 x 28 x 1 "
          f"inputs has 61,706{hint}.")


@points(0.5)
@clause(FLATTEN)
def test_flatten_size_for_28_by_28(submission):
    answer = submission.call("flatten_sizes", sizes=[[28, 28]])[0]
    check(answer["value"] is not None, f"flatten_size(28, 28) should return a number, but returned a {answer['type']}.")
    check(answer["value"] == 400, f"flatten_size(28, 28) returned {answer['value']!r}, but 16 feature maps of "
          "5 x 5 reach the first Dense layer of LeNet: 400.")
