"""PyTensor face of the theory: the kernels of :mod:`skillfit.theory.kernels` as graphs.

:mod:`skillfit.theory` must not depend on PyTensor, so the shared kernels take an array
namespace. This module provides that namespace for ``pytensor.tensor`` and thin wrappers used
by the PyMC models. The tests check these against the NumPy face to 1e-8, and their gradients
against finite differences.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytensor.tensor as pt
from pytensor.gradient import zero_grad

from skillfit import scaling
from skillfit.theory import kernels

__all__ = ["PT", "competent_fraction", "theta_from_reducible", "tuple_theta"]

def _select(cond: Any, a: Any, b: Any) -> Any:
    """``where`` as mask arithmetic: the kernels only select between finite branches.

    The gradient of ``pt.where`` (a ``Switch``) feeds PyTensor's ``local_mul_switch_sink``
    rewrite, which (with ``local_greedy_distributor``, see :data:`EXCLUDED_REWRITES`) kept
    rewriting the competent-fraction gradient inside a PyMC model for minutes. A product with a
    0/1 mask has a plain gradient and gives the same values wherever both branches are finite,
    which the kernels guarantee by evaluating every branch on safe inputs.
    """
    mask = pt.cast(cond, "float64")
    return mask * a + (1.0 - mask) * b


def _opaque(fn: Any, *inputs: Any) -> Any:
    """``fn(*inputs)`` as one ``OpFromGraph`` node, a black box to the graph rewriter."""
    from pytensor.compile.builders import OpFromGraph

    dummies = [pt.as_tensor_variable(i).type() for i in inputs]
    return OpFromGraph(dummies, [fn(*dummies)], inline=False)(*inputs)


def _clip(x: Any, lo: Any, hi: Any) -> Any:
    return pt.minimum(pt.maximum(x, lo), hi)


#: ``pytensor.tensor`` seen through the NumPy-like names the kernels use.
PT = SimpleNamespace(
    log=pt.log,
    log1p=pt.log1p,
    exp=pt.exp,
    expm1=pt.expm1,
    sqrt=pt.sqrt,
    where=_select,
    minimum=pt.minimum,
    maximum=pt.maximum,
    clip=_clip,
    cumsum=pt.cumsum,
    concatenate=pt.concatenate,
    stop_gradient=zero_grad,
    opaque=_opaque,
)


def competent_fraction(theta: Any, degree: Any, tau: Any, k: Any, mode: str = "union") -> Any:
    """Symbolic :func:`skillfit.theory.competent_fraction` (same kernel, same Newton steps)."""
    return kernels.competent_fraction(theta, degree, tau, k, mode, PT)


def tuple_theta(theta: Any, k: Any, mode: str = "union") -> Any:
    """Symbolic :func:`skillfit.theory.tuple_theta`."""
    return kernels.tuple_theta(theta, k, mode, PT)


def theta_from_reducible(r: Any, c: Any, eta: Any = 1.0) -> Any:
    """Symbolic :func:`skillfit.scaling.theta_from_reducible`: ``1 - exp(-c r^eta)``."""
    return scaling.theta_expr(r, c, PT, eta)


#: PyTensor rewrites that loop for minutes on the gradient of the competent fraction inside a
#: PyMC model (seen with pytensor 3.3.8: ``local_greedy_distributor`` re-distributing the
#: BetaBinomial/threshold gradient). Excluding them changes no result, only compile time.
EXCLUDED_REWRITES: tuple[str, ...] = ("local_greedy_distributor",)


def theory_mode() -> Any:
    """PyTensor's NUMBA mode without :data:`EXCLUDED_REWRITES` (pass as ``compile_kwargs``)."""
    from pytensor.compile.mode import get_mode

    return get_mode("NUMBA").excluding(*EXCLUDED_REWRITES)


@contextmanager
def compile_mode_for_theory() -> Iterator[None]:
    """Within the block, PyTensor's NUMBA mode (used by nutpie and by PyMC's NUTS under the
    default linker) skips :data:`EXCLUDED_REWRITES`.

    nutpie compiles with the predefined ``"NUMBA"`` mode and offers no way to pass another, so
    the predefined entry is swapped for the duration of the block and restored afterwards.
    """
    import pytensor.compile.mode as pmode

    old_predefined, old_numba = pmode.predefined_modes.get("NUMBA"), pmode.NUMBA
    safer = old_numba.excluding(*EXCLUDED_REWRITES)
    pmode.predefined_modes["NUMBA"] = safer
    pmode.NUMBA = safer
    try:
        yield
    finally:
        pmode.NUMBA = old_numba
        if old_predefined is None:
            pmode.predefined_modes.pop("NUMBA", None)
        else:
            pmode.predefined_modes["NUMBA"] = old_predefined
