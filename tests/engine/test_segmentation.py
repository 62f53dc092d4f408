"""Segmentation wrappers: lime's BaseWrapper semantics and scikit-image algorithms."""

import numpy as np
import pytest
from skimage.data import chelsea, coffee
from skimage.segmentation import felzenszwalb, quickshift, slic
from skimage.util import img_as_float

from limewidgets.engine.segmentation import (
    ALGORITHMS,
    BaseWrapper,
    SegmentationAlgorithm,
    accepts_keyword,
)


@pytest.fixture(scope="module")
def small_image():
    return img_as_float(chelsea()[::6, ::6])  # 50 x 76, fast for every algorithm


# ----------------------------------------------------------------------------- BaseWrapper
def test_base_wrapper_stores_function_and_params():
    def foo():
        return "bar"

    assert BaseWrapper(a=10, b="message").target_params == {"a": 10, "b": "message"}
    assert BaseWrapper().target_params == {}
    assert BaseWrapper(foo).target_fn() == "bar"


def test_check_params_accepts_known_and_rejects_unknown_names():
    def bar(a, *, keyword_only=1):
        return a

    class Pipo:
        def __call__(self, message):
            return message

    wrapper = BaseWrapper(bar)
    wrapper._check_params(["a", "keyword_only"])
    wrapper._check_params({"a": 1})
    BaseWrapper(Pipo())._check_params(["message"])
    with pytest.raises(ValueError, match=r"c is not a valid parameter"):
        wrapper._check_params(["c"])
    with pytest.raises(ValueError, match="e is not a valid parameter"):
        BaseWrapper(Pipo())._check_params(["e"])
    with pytest.raises(TypeError, match="dict or a list"):
        wrapper._check_params("a")
    with pytest.raises(TypeError, match="dict or a list"):
        wrapper._check_params(None)


def test_check_params_on_a_non_callable_target():
    wrapper = BaseWrapper([1, 2, 3], fn_name="invalid")
    with pytest.raises(TypeError, match="target_fn must be callable"):
        wrapper._check_params(["fn_name"])
    with pytest.raises(AttributeError):  # what lime raised
        wrapper._check_params(["fn_name"])
    with pytest.raises(TypeError, match="not callable"):
        BaseWrapper()._check_params(["x"])


def test_set_params_checks_before_replacing():
    class Pipo:
        def __call__(self, message):
            return message

    wrapper = BaseWrapper(Pipo())
    wrapper.set_params(message="OK")
    assert wrapper.target_params == {"message": "OK"}
    assert wrapper.target_fn(**wrapper.target_params) == "OK"
    with pytest.raises(ValueError, match="invalid is not a valid parameter"):
        wrapper.set_params(invalid="KO")
    assert wrapper.target_params == {"message": "OK"}


def test_filter_params_keeps_accepted_names_and_applies_override():
    def baz(a, b, c=True):
        return a + b if c else a

    wrapper = BaseWrapper(baz, a=10, b=100, d=1000)
    assert wrapper.filter_params(baz) == {"a": 10, "b": 100}
    assert wrapper.filter_params(baz, override={"c": False}) == {"a": 10, "b": 100, "c": False}


def test_accepts_keyword():
    def f(a, *args, b=1, **kwargs):
        return a

    assert accepts_keyword(f, "a") and accepts_keyword(f, "b")
    assert not accepts_keyword(f, "args") and not accepts_keyword(f, "kwargs")
    assert not accepts_keyword(f, "c")
    assert accepts_keyword(quickshift, "rng") and not accepts_keyword(quickshift, "random_seed")


# ----------------------------------------------------------------------- SegmentationAlgorithm
def test_quickshift_maps_lime_random_seed_to_rng(small_image):
    fn = SegmentationAlgorithm("quickshift", kernel_size=3, max_dist=6, ratio=0.5, random_seed=133)
    assert fn.target_fn is quickshift
    assert fn.target_params == {"kernel_size": 3, "max_dist": 6, "ratio": 0.5, "rng": 133}
    expected = quickshift(small_image, kernel_size=3, max_dist=6, ratio=0.5, rng=133)
    result = fn(small_image)
    np.testing.assert_array_equal(result, expected)
    assert result.shape == small_image.shape[:2]
    assert len(np.unique(result)) > 5


def test_slic_and_felzenszwalb_match_scikit_image(small_image):
    image = img_as_float(coffee()[::8, ::8])
    slic_fn = SegmentationAlgorithm("slic", n_segments=30, compactness=10, sigma=1, random_seed=0)
    np.testing.assert_array_equal(
        slic_fn(image), slic(image, n_segments=30, compactness=10, sigma=1)
    )
    assert slic_fn(image).min() == 1  # scikit-image's default start_label: ids need not start at 0
    felz_fn = SegmentationAlgorithm("felzenszwalb", scale=50, sigma=0.5, min_size=10)
    np.testing.assert_array_equal(
        felz_fn(small_image), felzenszwalb(small_image, scale=50, sigma=0.5, min_size=10)
    )


def test_old_scikit_image_names_are_translated(small_image):
    fn = SegmentationAlgorithm("slic", n_segments=20, max_iter=5, multichannel=True)
    assert fn.target_params == {"n_segments": 20, "max_num_iter": 5, "channel_axis": -1}
    np.testing.assert_array_equal(
        fn(small_image), slic(small_image, n_segments=20, max_num_iter=5, channel_axis=-1)
    )
    gray = SegmentationAlgorithm("felzenszwalb", multichannel=False)
    assert gray.target_params == {"channel_axis": None}
    assert gray(small_image[:, :, 0]).shape == small_image.shape[:2]


def test_unknown_algorithm_and_parameters_are_clear_errors():
    with pytest.raises(ValueError, match=r"algo_type must be one of \['quickshift', 'slic'"):
        SegmentationAlgorithm("watershed")
    with pytest.raises(ValueError, match=r"n_segment is not a valid parameter.*n_segments"):
        SegmentationAlgorithm("slic", n_segment=10)
    with pytest.raises(ValueError, match="either random_seed or rng"):
        SegmentationAlgorithm("quickshift", random_seed=1, rng=2)
    assert set(ALGORITHMS) == {"quickshift", "slic", "felzenszwalb"}


def test_quickshift_handles_rgba_and_grayscale(small_image):
    fn = SegmentationAlgorithm("quickshift", kernel_size=3, max_dist=6, ratio=0.5, random_seed=1)
    rgb = fn(small_image)
    rgba = np.concatenate([small_image, np.ones(small_image.shape[:2] + (1,))], axis=2)
    np.testing.assert_array_equal(fn(rgba), rgb)
    gray = small_image[:, :, 0]
    np.testing.assert_array_equal(fn(gray), fn(np.stack([gray] * 3, axis=-1)))
