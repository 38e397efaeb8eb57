"""The read models live in ctg_data.reports; the former module paths only re-export them."""

import importlib

import pytest

MODULES = ["funding", "bonus_report", "exports", "integrity"]


@pytest.mark.parametrize("name", MODULES)
def test_the_former_path_gives_the_same_objects_as_the_reports_package(name):
    old = importlib.import_module(f"ctg_data.{name}")
    new = importlib.import_module(f"ctg_data.reports.{name}")
    assert old.__all__
    for attribute in old.__all__:
        assert getattr(old, attribute) is getattr(new, attribute)
