"""The environment is the one skillfit is built for: PyMC 6, ArviZ 1, Python >= 3.12."""

from __future__ import annotations

import sys

import arviz
import pymc

import skillfit


def test_pymc6_arviz1_python312():
    assert pymc.__version__.startswith("6."), pymc.__version__
    assert arviz.__version__.startswith("1."), arviz.__version__
    assert sys.version_info >= (3, 12)


def test_package_version_is_installed_metadata():
    assert skillfit.__version__ != "0.0.0+unknown"
