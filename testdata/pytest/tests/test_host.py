import pytest

import fxclean


@pytest.mark.data
def test_value_matches_the_data_file(expected):
    assert fxclean.value() == expected


def test_the_group_plugin_is_loaded(request):
    assert request.config.pluginmanager.hasplugin("timeout")
