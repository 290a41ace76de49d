"""Hidden specs for `lenet` (grader only). Each names the mistake it exists to catch, and the clause of
the contract it checks. build_lenet's architecture, activation and softmax are one sentence of the
contract, and its training check is how that LeNet behaves: one clause."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from grader.offline_data import make_images
from grader.spec import assert_close, check, clause, fail, points, public_spec

_public = public_spec("lenet")
CHANNELS, REJECTS, LENET, DEFAULT, FLATTEN = _public.CHANNELS, _public.REJECTS, _public.LENET, _public.DEFAULT, _public.FLATTEN

LAYER_CLASSES = ["Conv2D", "AveragePooling2D", "Conv2D", "AveragePooling2D", "Flatten", "Dense", "Dense", "Dense"]

# The training check: build_lenet("relu") compiled with Adam and fitted for EPOCHS on N_TRAIN offline
# images (batch 32), then scored on N_TEST held-out images. Measured over 40 seeds: the reference
# solution reaches 0.84 at least (mean 0.91); the same LeNet with sigmoid (activation ignored) stays at 0.10-0.11,
# chance. The bar sits between them with a wide margin on both sides.
N_TRAIN, EPOCHS, BATCH, N_TEST, ACCURACY_BAR = 1000, 3, 32, 500, 0.60


# -- the judge's own LeNet, in NumPy ------------------------------------------------------------
def _conv(x, kernel, bias, same):
    if same:
        x = np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)))
    windows = sliding_window_view(x, (5, 5), axis=(1, 2))  # (n, h, w, c, 5, 5)
    return np.einsum("nhwcij,ijcf->nhwf", windows, kernel) + bias


def _avg_pool(x):
    n, h, w, c = x.shape
    x = x[:, : h // 2 * 2, : w // 2 * 2]
    return x.reshape(n, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))


def _activation(name):
    return {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh,
            "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z))}[name]


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _lenet_numpy(X, weights, activation):
    act = _activation(activation)
    w = [np.asarray(a, dtype=np.float64) for a in weights]
    h = _avg_pool(act(_conv(X.astype(np.float64), w[0], w[1], same=True)))
    h = _avg_pool(act(_conv(h, w[2], w[3], same=False)))
    h = h.reshape(len(h), -1)
    h = act(h @ w[4] + w[5])
    h = act(h @ w[6] + w[7])
    return _softmax(h @ w[8] + w[9])


def _lenet_weights(rng):
    shapes = [(5, 5, 1, 6), (6,), (5, 5, 6, 16), (16,), (400, 120), (120,), (120, 84), (84,), (84, 10), (10,)]
    fan_in = [25, 25, 150, 150, 400, 400, 120, 120, 84, 84]
    return [(rng.normal(size=s) * (1.5 / np.sqrt(f))).astype(np.float32) for s, f in zip(shapes, fan_in)]


def _forward_check(submission, rng, activation):
    __tracebackhide__ = True
    X = rng.random((3, 28, 28, 1), dtype=np.float32)
    weights = _lenet_weights(rng)
    kwargs = {} if activation is None else {"activation": activation}
    call = f"build_lenet({'' if activation is None else repr(activation)})"
    answer = submission.call("lenet_forward", X=X, weights=weights, **kwargs)
    if answer["output"] is None:
        expected = [[list(w.shape) for w in weights[i:i + 2]] for i in range(0, 10, 2)]
        fail(f"The layers of {call} that have parameters hold arrays of shapes {answer['shapes']}, "
             f"but LeNet's are {expected}.")
    output = np.asarray(answer["output"], dtype=np.float64)
    if output.shape == (3, 10) and np.all(np.isfinite(output)):
        check(bool(np.allclose(output.sum(axis=1), 1.0, atol=1e-4) and output.min() >= 0),
              f"The outputs of {call} for each image should be probabilities summing to 1: "
              "the last Dense layer needs activation=\"softmax\".")
    assert_close(output, _lenet_numpy(X, weights, activation or "sigmoid"),
                 f"The output of {call}, with given parameters, on 3 images", rtol=1e-3, atol=1e-5)


def _layers(submission):
    answer = submission.call("lenet_layers")
    return answer["layers"]


# -- to_channels_last -------------------------------------------------------------------------------
@points(0.5)
@clause(CHANNELS)
def test_to_channels_last_on_square_images(submission, rng):
    """Catches: a transposed or channels-first reshape; float64 left as float64."""
    n = int(rng.integers(2, 6))
    X = rng.random((n, 28, 28))  # float64: the result must still be float32
    answer = submission.call("channels_last", X=X)
    value = answer["value"]
    check(isinstance(value, np.ndarray) and value.shape == (n, 28, 28, 1),
          f"to_channels_last on a ({n}, 28, 28) array should return shape ({n}, 28, 28, 1), "
          f"but returned {getattr(value, 'shape', 'something without a shape')}.")
    check(answer["dtype"] == "float32",
          f"to_channels_last on float64 images should return float32, but returned {answer['dtype']}.")
    _public.check_pixels(value, X[..., None].astype(np.float32), f"to_channels_last on a ({n}, 28, 28) array")


@points(1)
@clause(REJECTS)
def test_to_channels_last_rejects_other_shapes(submission, rng):
    """Catches: a reshape(-1, 28, 28, 1) with no shape check, which accepts any array of 784 * N values."""
    n = int(rng.integers(2, 5))
    shapes = [(n, 14, 56), (n * 784,), (n, 783), (n, 28, 28, 3), (n, 28, 29)]
    answers = submission.call("channels_last_other_shapes", shapes=[list(s) for s in shapes])
    for shape, answer in zip(shapes, answers):
        if answer["raised"] is None:
            fail(f"to_channels_last on an array of shape {shape} returned shape {answer['shape']}; "
                 "it should raise ValueError for anything but (N, 28, 28) or (N, 784).")
        check(answer["value_error"], f"to_channels_last on an array of shape {shape} raised "
              f"{answer['raised']}; it should raise ValueError.")


# -- build_lenet --------------------------------------------------------------------------------------
@points(1)
@clause(LENET)
def test_layer_types_in_order(submission):
    """Catches: MaxPool instead of AvgPool, missing or extra layers, layers in the wrong order."""
    classes = [layer["class"] for layer in _layers(submission)]
    if "MaxPooling2D" in classes:
        fail("build_lenet uses MaxPool2D; the lecture's LeNet averages: AvgPool2D(pool_size=2, strides=2).")
    check(classes == LAYER_CLASSES, f"build_lenet() has the layers {classes}, but LeNet is {LAYER_CLASSES}.")


@points(0.5)
@clause(LENET)
def test_filters_kernels_and_padding(submission):
    """Catches: missing padding="same" (44,426 parameters), wrong filter counts or kernel sizes, wrong pools,
    an input other than 28 x 28 x 1 (29 x 28 gives the same parameter count)."""
    layers = _layers(submission)
    shape = submission.call("lenet_layers")["input_shape"]  # None: Keras names no single input shape
    check(shape is None or shape[1:] == [28, 28, 1], f"build_lenet() should take 28 x 28 x 1 images (input "
          f"shape (None, 28, 28, 1)), but its input shape is {None if shape is None else tuple(shape)}.")
    convs = [layer for layer in layers if layer["class"] == "Conv2D"]
    check(len(convs) == 2, f"build_lenet() should have 2 Conv2D layers, but has {len(convs)}.")
    check([c["filters"] for c in convs] == [6, 16],
          f"LeNet's convolutions have 6 then 16 filters, but build_lenet()'s have {[c['filters'] for c in convs]}.")
    check([c["kernel_size"] for c in convs] == [[5, 5], [5, 5]],
          f"LeNet's convolutions use 5 x 5 kernels, but build_lenet()'s have {[c['kernel_size'] for c in convs]}.")
    check(convs[0]["padding"] == "same", "The first Conv2D of LeNet keeps the 28 x 28 size: padding=\"same\".")
    check(convs[1]["padding"] == "valid", "The second Conv2D of LeNet has no padding (padding=\"valid\").")
    pools = [layer for layer in layers if layer["class"].endswith("Pooling2D")]
    check(all(p["pool_size"] == [2, 2] and p["strides"] == [2, 2] for p in pools),
          "LeNet's pooling layers use pool_size=2 and strides=2.")
    dense = [layer["units"] for layer in layers if layer["class"] == "Dense"]
    check(dense == [120, 84, 10], f"LeNet's Dense layers have 120, 84 and 10 units, but build_lenet()'s have {dense}.")


@points(1.5)
@clause(LENET)
def test_forward_pass_with_given_weights_and_activation(submission, rng):
    """Catches: `activation` ignored, no softmax, wrong padding or pooling, a wrong flatten order."""
    _forward_check(submission, rng, "tanh")


@points(0.5)
@clause(DEFAULT)
def test_default_activation_is_sigmoid(submission, rng):
    """Catches: a default activation other than the lecture's sigmoid. It compares build_lenet() with
    build_lenet("sigmoid") holding the same parameters, so a mistake elsewhere in the architecture
    does not cost this point too."""
    X = rng.random((3, 28, 28, 1), dtype=np.float32)
    answer = submission.call("lenet_default", X=X)
    default = np.asarray(answer["default"], dtype=np.float64)
    sigmoid = np.asarray(answer["sigmoid"], dtype=np.float64)
    check(default.shape == sigmoid.shape and bool(np.allclose(default, sigmoid, rtol=1e-4, atol=1e-6)),
          "build_lenet() and build_lenet(\"sigmoid\"), given the same parameters, compute different outputs: "
          "the default activation should be the lecture's sigmoid.")


@points(1.5)
@clause(LENET)
def test_relu_lenet_learns_the_offline_images(submission, rng):
    """Catches: models that cannot learn (no softmax, broken layers, activation ignored) on the offline images."""
    data_seed, test_seed = (int(s) for s in rng.integers(0, 2**31, size=2))
    X_test, y_test = make_images(N_TEST, test_seed)
    predictions = submission.call("train", n_train=N_TRAIN, data_seed=data_seed, epochs=EPOCHS,
                                  batch_size=BATCH, X_test=X_test[..., None])
    check(isinstance(predictions, np.ndarray) and predictions.shape == (N_TEST, 10),
          f"build_lenet('relu').predict on {N_TEST} images should give shape ({N_TEST}, 10), "
          f"but gave {getattr(predictions, 'shape', type(predictions).__name__)}.")
    check(bool(np.all(np.isfinite(predictions))), "build_lenet('relu') produced NaN or infinite predictions "
          "after training with Adam and sparse categorical cross-entropy.")
    accuracy = float(np.mean(predictions.argmax(axis=1) == y_test))
    check(accuracy >= ACCURACY_BAR,
          f"build_lenet('relu'), compiled with Adam and sparse categorical cross-entropy and fitted for {EPOCHS} "
          f"epochs on {N_TRAIN} 28 x 28 images, reached {accuracy:.0%} accuracy on held-out images; "
          f"the lecture's LeNet reaches at least {ACCURACY_BAR:.0%}.")


# -- flatten_size --------------------------------------------------------------------------------------
def _flatten_size(height, width):
    h, w = (height // 2 - 4) // 2, (width // 2 - 4) // 2
    return 16 * h * w


@points(1)
@clause(FLATTEN)
def test_flatten_size_for_other_sizes(submission, rng):
    """Catches: forgetting the unpadded convolution (the lecture's 30 x 30 -> 7 x 7 slip), fixed answers,
    a count that is not an int (400.0 from / instead of //)."""
    sizes = [(int(h), int(w)) for h, w in rng.integers(12, 65, size=(4, 2))] + [(30, 30), (31, 20)]
    answers = submission.call("flatten_sizes", sizes=[list(s) for s in sizes])
    for (height, width), answer in zip(sizes, answers):
        check(answer["value"] is not None,
              f"flatten_size({height}, {width}) should return a number, but returned a {answer['type']}.")
        check(answer["integer"], f"flatten_size({height}, {width}) should return a whole number of features "
              f"(an int), but returned {answer['value']!r} (a {answer['type']}): use // to halve sizes.")
        check(answer["value"] == _flatten_size(height, width),
              f"flatten_size({height}, {width}) returned {answer['value']!r}, which is not what reaches the first "
              "Dense layer: the first convolution keeps the size (padding=\"same\"), each pool halves it "
              "(rounding down) and the second convolution, unpadded, loses 4 rows and 4 columns.")
