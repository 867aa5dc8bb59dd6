"""``framer.guidance.measure.measure_alignments``: the pre-alignment that carries both keyframes to the middle frame
consistently is chosen over the pair as it is, a wrong one is not, and an engine without correspondences is refused."""

from __future__ import annotations

import numpy as np
import pytest

from framer.errors import InputError
from framer.guidance.measure import PLAIN, measure_alignments
from framer.motion import fit_alignment

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def pan(shared_data) -> tuple[np.ndarray, np.ndarray]:
    """A 160x96 crop of RubberWhale and the same crop 60 px further right: a pan beyond the network's reach."""
    from framer.io.images import read_image

    photo = read_image(shared_data / "middlebury_rubberwhale" / "frame10.png")
    return np.ascontiguousarray(photo[100:196, 200:360]), np.ascontiguousarray(photo[100:196, 140:300])


def _shift(dx: float, width: int, height: int):
    homography = np.array([[1.0, 0.0, dx], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    return fit_alignment(np.zeros((0, 2)), np.zeros((0, 2)), width, height, homography=homography)


def test_the_true_motion_is_chosen_and_a_wrong_one_is_not(flow_engine, pan) -> None:
    image0, image1 = pan
    height, width = image0.shape[:2]
    means = measure_alignments(flow_engine, image0, image1, {"true": _shift(60, width, height)})
    assert next(iter(means)) == "true" and means["true"] < 0.5 * means[PLAIN]
    means = measure_alignments(flow_engine, image0, image1, {"wrong": _shift(-60, width, height)})
    assert next(iter(means)) == PLAIN and means["wrong"] > means[PLAIN]


def test_an_engine_without_correspondences_is_refused(pan) -> None:
    from helpers.video import BlendEngine

    with pytest.raises(InputError, match="gives no dense correspondences"):
        measure_alignments(BlendEngine(), *pan, {})
