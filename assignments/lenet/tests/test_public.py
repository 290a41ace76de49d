"""Public specs for `lenet`: run them with `grader check lenet lenet.py`."""
import numpy as np

from grader.spec import check, points


@points(1)
def test_to_channels_last_on_flat_images(submission, rng):
    n = int(rng.integers(2, 6))
    X = rng.random((n, 784), dtype=np.float32)
    answer = submission.call("channels_last", X=X)
    value = answer["value"]
    check(isinstance(value, np.ndarray) and value.shape == (n, 28, 28, 1),
          f"to_channels_last on a ({n}, 784) array should return shape ({n}, 28, 28, 1), "
          f"but returned {getattr(value, 'shape', 'something without a shape')}.")
    check(answer["dtype"] == "float32", f"to_channels_last should return float32, but returned {answer['dtype']}.")
    check(bool(np.array_equal(value, X.reshape(n, 28, 28, 1))),
          "to_channels_last moved pixels around: row r, column c of image i should be X[i, 28 * r + c] "
          "(the rows of each image, one after the other), with the channel last.")


@points(1)
def test_lenet_has_61706_parameters(submission):
    count = submission.call("lenet_layers")["count_params"]
    hint = " (44,426 is what you get when the first Conv2D lacks padding=\"same\")" if count == 44426 else ""
    check(count == 61706, f"build_lenet() has {count:,} parameters, but the lecture's LeNet for 28 x 28 x 1 "
          f"inputs has 61,706{hint}.")


@points(0.5)
def test_flatten_size_for_28_by_28(submission):
    answer = submission.call("flatten_sizes", sizes=[[28, 28]])[0]
    check(answer["value"] is not None, f"flatten_size(28, 28) should return a number, but returned a {answer['type']}.")
    check(answer["value"] == 400, f"flatten_size(28, 28) returned {answer['value']!r}, but 16 feature maps of "
          "5 x 5 reach the first Dense layer of LeNet: 400.")
