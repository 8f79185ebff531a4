"""Chinchilla-style scaling laws ``L(N, D) = E + A N^-a + B D^-b`` and the loss -> theta map.

N is the number of parameters, D the number of training tokens, losses are in nats per token and
compute is ``C = 6 N D`` FLOP. The reducible ("excess") loss ``r = L - E`` is what the
Arora & Goyal theory turns into a failed-text measure ``theta = 1 - exp(-c r)`` (DESIGN §3).

Two meanings of "scale by s" are easy to confuse, so both are provided:

- :meth:`ChinchillaLaw.reducible_ratio_scaled` multiplies **both** N and D by ``s`` (compute
  grows by ``s**2``). With Hoffmann's exponents, ``s = 10`` multiplies the two reducible terms
  by ``10**-0.34 = 0.46`` and ``10**-0.28 = 0.52``: roughly the halving of the excess loss that
  the paper calls "one order of scaling up" (and hence "twice as many skills combined").
- :meth:`ChinchillaLaw.reducible_ratio_compute` multiplies **compute** by ``s`` and re-splits it
  compute-optimally; the reducible loss then falls as ``s**(-a b / (a + b))``, only about
  ``0.70`` for ``s = 10`` with Hoffmann's exponents, and halving it takes roughly 90x compute.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "EPOCH",
    "HOFFMANN",
    "PRESETS",
    "ChinchillaLaw",
    "reducible_expr",
    "theta_expr",
    "theta_from_reducible",
]

FloatArray = NDArray[np.float64]


def reducible_expr(log_n: Any, log_d: Any, log_a: Any, log_b: Any, a: Any, b: Any, xp: Any) -> Any:
    """``A N^-a + B D^-b`` written in logs, for any array namespace ``xp`` (NumPy or PyTensor).

    This is the single definition of the law's reducible part; :class:`ChinchillaLaw` and the
    PyMC models both evaluate it.
    """
    return xp.exp(log_a - a * log_n) + xp.exp(log_b - b * log_d)


def theta_expr(r: Any, c: Any, xp: Any) -> Any:
    """``1 - exp(-c r)`` for any array namespace: the one definition of the loss -> theta map."""
    return -xp.expm1(-c * r)


def theta_from_reducible(r: ArrayLike, c: ArrayLike = 1.0) -> FloatArray | float:
    """Failed-text measure ``theta = 1 - exp(-c r)`` from a reducible loss ``r >= 0`` (nats).

    ``theta ~ c r`` for small ``r`` (the paper's "theta proportional to excess loss"), and stays in
    [0, 1). ``c = 1`` is the paper's informal usage; ``c = 2`` is the Markov bound at a cloze
    loss threshold of 1/2 (theory.md §1.1).

    Examples
    --------
    >>> round(theta_from_reducible(0.1, c=1.0), 6)
    0.095163
    """
    r_arr, c_arr = np.broadcast_arrays(np.asarray(r, float), np.asarray(c, float))
    out = np.where((r_arr >= 0) & (c_arr > 0), theta_expr(r_arr, c_arr, np), np.nan)
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class ChinchillaLaw:
    """A parametric scaling law ``L(N, D) = E + A N^-a + B D^-b`` (nats/token).

    Parameters
    ----------
    E : float
        Irreducible loss.
    A, B : float
        Coefficients of the parameter and data terms.
    a, b : float
        Exponents of N and D (Hoffmann et al. call them alpha and beta).

    Examples
    --------
    >>> law = ChinchillaLaw.preset("hoffmann")
    >>> round(law.loss(70e9, 1.4e12), 3)  # Chinchilla itself
    1.937
    >>> n, d = law.optimal_allocation(5.76e23)
    >>> 30e9 < n < 60e9
    True
    """

    E: float
    A: float
    B: float
    a: float
    b: float

    presets: ClassVar[dict[str, ChinchillaLaw]]

    def __post_init__(self) -> None:
        for name in ("A", "B", "a", "b"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"ChinchillaLaw: {name} must be a positive number, got {value!r}")
        if not np.isfinite(self.E) or self.E < 0:
            raise ValueError(f"ChinchillaLaw: E must be a non-negative number, got {self.E!r}")

    @classmethod
    def preset(cls, name: str) -> ChinchillaLaw:
        """A published fit by name: ``"hoffmann"`` (2022, Approach 3) or ``"epoch"`` (2024)."""
        try:
            return PRESETS[name.lower()]
        except KeyError:
            raise ValueError(
                f"unknown scaling-law preset {name!r}; available: {', '.join(sorted(PRESETS))}"
            ) from None

    def as_dict(self) -> dict[str, float]:
        """The five constants as a plain dict."""
        return asdict(self)

    def reducible(self, params: ArrayLike, tokens: ArrayLike) -> FloatArray | float:
        """Reducible loss ``A N^-a + B D^-b`` (nats/token)."""
        n, d = np.broadcast_arrays(np.asarray(params, float), np.asarray(tokens, float))
        if np.any(n <= 0) or np.any(d <= 0):
            raise ValueError("params and tokens must be positive")
        out = reducible_expr(
            np.log(n), np.log(d), np.log(self.A), np.log(self.B), self.a, self.b, np
        )
        return float(out) if out.ndim == 0 else out

    def loss(self, params: ArrayLike, tokens: ArrayLike) -> FloatArray | float:
        """Predicted loss ``L(N, D)`` (nats/token)."""
        return self.E + self.reducible(params, tokens)

    def optimal_allocation(self, compute: ArrayLike) -> tuple[FloatArray | float, FloatArray | float]:
        """Compute-optimal ``(N_opt, D_opt)`` for a budget of ``compute = 6 N D`` FLOP.

        ``N_opt = G (C/6)^(b/(a+b))``, ``D_opt = (C/6)^(a/(a+b)) / G`` with
        ``G = (a A / (b B))^(1/(a+b))`` (Hoffmann et al. 2022, Eq. 4).
        """
        c = np.asarray(compute, float)
        if np.any(c <= 0):
            raise ValueError("compute must be positive")
        s = self.a + self.b
        g = (self.a * self.A / (self.b * self.B)) ** (1.0 / s)
        n = g * (c / 6.0) ** (self.b / s)
        d = (c / 6.0) ** (self.a / s) / g
        if n.ndim == 0:
            return float(n), float(d)
        return n, d

    def optimal_loss(self, compute: ArrayLike) -> FloatArray | float:
        """Loss of the compute-optimal model at ``compute`` FLOP."""
        n, d = self.optimal_allocation(compute)
        return self.loss(n, d)

    def reducible_ratio_scaled(
        self, params: ArrayLike, tokens: ArrayLike, s: ArrayLike
    ) -> FloatArray | float:
        """``r(s N, s D) / r(N, D)``: both parameters and tokens multiplied by ``s``.

        Compute grows by ``s**2``. This is the sense of "10x scale" in Arora & Goyal's
        takeaway (about a halving of the excess loss for ``s = 10``).
        """
        s_arr = np.asarray(s, float)
        return np.asarray(self.reducible(np.multiply(params, s_arr), np.multiply(tokens, s_arr))) / (
            self.reducible(params, tokens)
        )

    def reducible_ratio_compute(self, s: ArrayLike) -> FloatArray | float:
        """``r_opt(s C) / r_opt(C) = s**(-a b / (a + b))``: compute multiplied by ``s``.

        Along the compute-optimal frontier both reducible terms fall as
        ``C**(-a b / (a + b))``, whatever ``C`` is.
        """
        s_arr = np.asarray(s, float)
        out = s_arr ** (-self.a * self.b / (self.a + self.b))
        return float(out) if out.ndim == 0 else out

    def compute_factor_for_ratio(self, ratio: ArrayLike) -> FloatArray | float:
        """Compute multiplier that scales the compute-optimal reducible loss by ``ratio``.

        The inverse of :meth:`reducible_ratio_compute`: ``ratio**(-(a + b) / (a b))``; e.g.
        about 91x compute halves the reducible loss under Hoffmann's law.
        """
        r_arr = np.asarray(ratio, float)
        out = r_arr ** (-(self.a + self.b) / (self.a * self.b))
        return float(out) if out.ndim == 0 else out


#: Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models", Approach 3.
HOFFMANN = ChinchillaLaw(E=1.69, A=406.4, B=410.7, a=0.34, b=0.28)
#: Besiroglu, Erdil, Barnett, You (2024), "Chinchilla Scaling: A replication attempt"
#: (arXiv 2404.10102), their Huber fit to the 240 points reconstructed from Hoffmann's Fig. 4.
EPOCH = ChinchillaLaw(E=1.8172, A=482.01, B=2085.43, a=0.3478, b=0.3658)

PRESETS: dict[str, ChinchillaLaw] = {"hoffmann": HOFFMANN, "epoch": EPOCH}
ChinchillaLaw.presets = PRESETS
