import pathlib

import pytest


@pytest.fixture
def expected():
    """The value the data file says fxclean.value() is."""
    return int((pathlib.Path(__file__).parent / "tests" / "data" / "expected.txt").read_text())
