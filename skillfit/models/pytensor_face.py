"""PyTensor face of the theory: the kernels of :mod:`skillfit.theory.kernels` as graphs.

:mod:`skillfit.theory` must not depend on PyTensor, so the shared kernels take an array
namespace. This module provides that namespace for ``pytensor.tensor`` and thin wrappers used
by the PyMC models. The tests check these against the NumPy face to 1e-8, and their gradients
against finite differences.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytensor.tensor as pt
from pytensor.gradient import zero_grad

from skillfit import scaling
from skillfit.theory import kernels

__all__ = ["PT", "competent_fraction", "theta_from_reducible", "tuple_theta"]

#: ``pytensor.tensor`` seen through the NumPy-like names the kernels use.
PT = SimpleNamespace(
    log=pt.log,
    log1p=pt.log1p,
    exp=pt.exp,
    expm1=pt.expm1,
    sqrt=pt.sqrt,
    where=pt.where,
    minimum=pt.minimum,
    maximum=pt.maximum,
    clip=pt.clip,
    stop_gradient=zero_grad,
)


def competent_fraction(theta: Any, degree: Any, tau: Any, k: Any, mode: str = "union") -> Any:
    """Symbolic :func:`skillfit.theory.competent_fraction` (same kernel, same Newton steps)."""
    return kernels.competent_fraction(theta, degree, tau, k, mode, PT)


def tuple_theta(theta: Any, k: Any, mode: str = "union") -> Any:
    """Symbolic :func:`skillfit.theory.tuple_theta`."""
    return kernels.tuple_theta(theta, k, mode, PT)


def theta_from_reducible(r: Any, c: Any) -> Any:
    """Symbolic :func:`skillfit.scaling.theta_from_reducible`: ``1 - exp(-c r)``."""
    return scaling.theta_expr(r, c, PT)
