"""Suites: the conformance tests a user runs against their target (`pytest suites --kimi-target ...`)."""

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("area") is None:
            item.add_marker(pytest.mark.area("transformations"))
