"""The tests fxfailing ships: one passes, one fails."""

import fxfailing


def test_value():
    assert fxfailing.value() == 7


def test_value_is_eight():
    assert fxfailing.value() == 8, "fxfailing.value() should be 8"
