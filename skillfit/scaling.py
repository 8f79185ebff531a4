"""Chinchilla-style scaling laws ``L(N, D) = E + A N^-a + B D^-b`` and the loss -> theta map.

N is the number of parameters, D the number of training tokens, losses are in nats per token and
compute is ``C = 6 N D`` FLOP. The reducible ("excess") loss ``r = L - E`` is what the
Arora & Goyal theory turns into a measure ``theta`` of failed text. The paper only says that
``theta`` is roughly proportional to the excess loss; skillfit's modelling choice is
``theta = 1 - exp(-c r^eta)`` (``eta = 1`` by default here; the joint model learns it; see
``docs/theory.md``, section "From loss to theta").

Two meanings of "scale by s" are easy to confuse, so both are provided:

- :meth:`ChinchillaLaw.reducible_ratio_scaled` multiplies **both** N and D by ``s`` (compute
  grows by ``s**2``). With Hoffmann's exponents, ``s = 10`` multiplies the two reducible terms
  by ``10**-0.34 = 0.46`` and ``10**-0.28 = 0.52``: roughly the halving of the excess loss that
  the paper calls "one order of scaling up" (and hence "twice as many skills combined"; see
  ``docs/theory.md``, section "10x scale").
- :meth:`ChinchillaLaw.reducible_ratio_compute` multiplies **compute** by ``s`` and re-splits it
  compute-optimally; the reducible loss then falls as ``s**(-a b / (a + b))``, only about
  ``0.70`` for ``s = 10`` with Hoffmann's exponents, and halving it takes roughly 90x compute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from skillfit.errors import ArgumentError, did_you_mean

__all__ = [
    "EPOCH",
    "HOFFMANN",
    "PRESETS",
    "ChinchillaLaw",
    "LawDraws",
    "LawPosterior",
    "POSTERIOR",
    "reducible_expr",
    "theta_expr",
    "theta_from_reducible",
    "training_compute",
]

FloatArray = NDArray[np.float64]


def reducible_expr(log_n: Any, log_d: Any, log_a: Any, log_b: Any, a: Any, b: Any, xp: Any) -> Any:
    """``A N^-a + B D^-b`` written in logs, for any array namespace ``xp`` (NumPy or PyTensor).

    This is the single definition of the law's reducible part; :class:`ChinchillaLaw` and the
    PyMC models both evaluate it.

    Parameters
    ----------
    log_n, log_d : array_like
        Natural logs of the parameter and token counts.
    log_a, log_b : array_like
        Natural logs of the coefficients ``A`` and ``B``.
    a, b : array_like
        Exponents of N and D.
    xp : module
        Array namespace with ``exp`` (:mod:`numpy`, or ``pytensor.tensor``).

    Returns
    -------
    array
        The reducible loss in nats per token.

    Examples
    --------
    >>> import numpy as np
    >>> r = reducible_expr(np.log(70e9), np.log(1.4e12), np.log(406.4), np.log(410.7),
    ...                    0.34, 0.28, np)
    >>> round(float(r), 3)
    0.247
    """
    return xp.exp(log_a - a * log_n) + xp.exp(log_b - b * log_d)


def theta_expr(r: Any, c: Any, xp: Any, eta: Any = 1.0) -> Any:
    """``1 - exp(-c r^eta)`` for any array namespace: the one definition of the loss -> theta map.

    Parameters
    ----------
    r : array_like
        Reducible loss (nats per token), >= 0.
    c : array_like
        Scale of the map, > 0.
    xp : module
        Array namespace with ``expm1``.
    eta : array_like, default 1.0
        Exponent of the loss, > 0 (1: theta proportional to the loss for small losses).

    Returns
    -------
    array
        The failed-text measure ``theta``, in [0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> round(float(theta_expr(0.1, 2.0, np)), 6)
    0.181269
    >>> round(float(theta_expr(0.25, 2.0, np, eta=0.5)), 6)  # 1 - exp(-2 * 0.5)
    0.632121
    """
    return -xp.expm1(-c * r**eta)


def theta_from_reducible(r: ArrayLike, c: ArrayLike = 1.0,
                         eta: ArrayLike = 1.0) -> FloatArray | float:
    """Failed-text measure ``theta = 1 - exp(-c r^eta)`` from a reducible loss ``r >= 0`` (nats).

    The exponential form is skillfit's modelling choice, not the paper's: Arora & Goyal only say
    that ``theta`` is roughly proportional to the excess loss. It keeps that proportionality for
    small losses (``theta ~ c r``) while staying in [0, 1) for any ``r``.

    ``eta`` generalises the proportionality to ``theta ~ c r^eta``; the joint model learns it
    with a prior centred on the paper's ``eta = 1`` (``docs/model.md``).

    ``c`` sets the proportionality. ``c = 1`` matches the paper's informal usage. Counting a
    text piece as failed when its cloze loss is at least 1/2, Markov's inequality gives
    ``theta <= 2 r``: a bound on the *linear* form, so ``c = 2`` is the most that bound allows
    near ``r = 0``. Since ``1 - exp(-2 r) < 2 r``, the exponential map with ``c = 2`` is not
    itself that bound (``docs/theory.md``, section "From loss to theta").

    Parameters
    ----------
    r : array_like
        Reducible loss in nats per token.
    c : array_like, default 1.0
        Scale of the map, > 0.
    eta : array_like, default 1.0
        Exponent of the loss, > 0.

    Returns
    -------
    float or ndarray
        ``theta`` in [0, 1); NaN where ``r < 0``, ``c <= 0`` or ``eta <= 0``.

    Examples
    --------
    >>> round(theta_from_reducible(0.1, c=1.0), 6)
    0.095163
    """
    r_arr, c_arr, e_arr = np.broadcast_arrays(np.asarray(r, float), np.asarray(c, float),
                                              np.asarray(eta, float))
    ok = (r_arr >= 0) & (c_arr > 0) & (e_arr > 0)
    with np.errstate(invalid="ignore"):
        out = np.where(ok, theta_expr(r_arr, c_arr, np, e_arr), np.nan)
    return float(out) if out.ndim == 0 else out


def training_compute(params: ArrayLike, tokens: ArrayLike) -> FloatArray | float:
    """Training compute ``C = 6 N D`` in FLOP (the usual dense-transformer approximation).

    Parameters
    ----------
    params, tokens : array_like
        Parameters N and training tokens D (broadcast together).

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> training_compute(70e9, 1.4e12)   # Chinchilla-70B
    5.88e+23
    """
    out = 6.0 * np.asarray(params, float) * np.asarray(tokens, float)
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

    def __post_init__(self) -> None:
        for name in ("A", "B", "a", "b"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise ArgumentError(f"ChinchillaLaw: {name} must be a positive number, got {value!r}")
        if not np.isfinite(self.E) or self.E < 0:
            raise ArgumentError(f"ChinchillaLaw: E must be a non-negative number, got {self.E!r}")

    @classmethod
    def preset(cls, name: str) -> ChinchillaLaw:
        """A published fit by name.

        Parameters
        ----------
        name : {"hoffmann", "epoch"}
            ``"hoffmann"``: Hoffmann et al. 2022 (arXiv 2203.15556), Approach 3;
            ``"epoch"``: Besiroglu et al. 2024 (arXiv 2404.10102). Case-insensitive.

        Returns
        -------
        ChinchillaLaw

        Raises
        ------
        ValueError
            For an unknown name.

        Examples
        --------
        >>> ChinchillaLaw.preset("Epoch").E
        1.8172
        """
        try:
            return PRESETS[name.lower()]
        except KeyError:
            raise ArgumentError(
                f"unknown scaling-law preset {name!r}; available: {', '.join(sorted(PRESETS))}"
                + did_you_mean(name.lower(), PRESETS)
            ) from None

    def reducible(self, params: ArrayLike, tokens: ArrayLike) -> FloatArray | float:
        """Reducible loss ``A N^-a + B D^-b`` (nats/token).

        Parameters
        ----------
        params, tokens : array_like
            Parameters N and training tokens D, > 0 (broadcast together).

        Returns
        -------
        float or ndarray

        Raises
        ------
        ValueError
            If any N or D is not positive.

        Examples
        --------
        >>> round(HOFFMANN.reducible(70e9, 1.4e12), 3)
        0.247
        """
        n, d = np.broadcast_arrays(np.asarray(params, float), np.asarray(tokens, float))
        if np.any(n <= 0) or np.any(d <= 0):
            raise ArgumentError("params and tokens must be positive")
        out = reducible_expr(
            np.log(n), np.log(d), np.log(self.A), np.log(self.B), self.a, self.b, np
        )
        return float(out) if out.ndim == 0 else out

    def loss(self, params: ArrayLike, tokens: ArrayLike) -> FloatArray | float:
        """Predicted loss ``L(N, D) = E + reducible(N, D)`` (nats/token).

        Parameters
        ----------
        params, tokens : array_like
            Parameters N and training tokens D, > 0.

        Returns
        -------
        float or ndarray

        Examples
        --------
        >>> round(HOFFMANN.loss(70e9, 1.4e12), 3)
        1.937
        """
        return self.E + self.reducible(params, tokens)

    def optimal_allocation(self, compute: ArrayLike) -> tuple[FloatArray | float, FloatArray | float]:
        """Compute-optimal ``(N_opt, D_opt)`` for a budget of ``compute = 6 N D`` FLOP.

        ``N_opt = G (C/6)^(b/(a+b))``, ``D_opt = (C/6)^(a/(a+b)) / G`` with
        ``G = (a A / (b B))^(1/(a+b))`` (Hoffmann et al. 2022, Eq. 4).

        Parameters
        ----------
        compute : array_like
            Training compute in FLOP, > 0.

        Returns
        -------
        tuple of (float or ndarray, float or ndarray)
            ``(N_opt, D_opt)``, with ``6 N_opt D_opt = compute``.

        Raises
        ------
        ValueError
            If any compute is not positive.

        Examples
        --------
        >>> n, d = HOFFMANN.optimal_allocation(1e24)
        >>> round(6 * n * d / 1e24, 9)
        1.0
        """
        c = np.asarray(compute, float)
        if np.any(c <= 0):
            raise ArgumentError("compute must be positive")
        s = self.a + self.b
        g = (self.a * self.A / (self.b * self.B)) ** (1.0 / s)
        n = g * (c / 6.0) ** (self.b / s)
        d = (c / 6.0) ** (self.a / s) / g
        if n.ndim == 0:
            return float(n), float(d)
        return n, d

    def optimal_loss(self, compute: ArrayLike) -> FloatArray | float:
        """Loss of the compute-optimal model at ``compute`` FLOP.

        Parameters
        ----------
        compute : array_like
            Training compute in FLOP, > 0.

        Returns
        -------
        float or ndarray

        Examples
        --------
        >>> bool(HOFFMANN.optimal_loss(1e24) < HOFFMANN.optimal_loss(1e23))
        True
        """
        n, d = self.optimal_allocation(compute)
        return self.loss(n, d)

    def reducible_ratio_scaled(
        self, params: ArrayLike, tokens: ArrayLike, s: ArrayLike
    ) -> FloatArray | float:
        """``r(s N, s D) / r(N, D)``: both parameters and tokens multiplied by ``s``.

        Compute grows by ``s**2``. This is the sense of "10x scale" in Arora & Goyal's
        takeaway (about a halving of the excess loss for ``s = 10``).

        Parameters
        ----------
        params, tokens : array_like
            Starting N and D, > 0.
        s : array_like
            Scale factor, > 0.

        Returns
        -------
        float or ndarray

        Raises
        ------
        ValueError
            If ``s``, N or D is not positive.

        Examples
        --------
        >>> round(HOFFMANN.reducible_ratio_scaled(7e9, 2e12, 10), 2)
        0.49
        """
        s_arr = _positive("s", s)
        out = np.asarray(
            self.reducible(np.multiply(params, s_arr), np.multiply(tokens, s_arr))
        ) / self.reducible(params, tokens)
        return float(out) if out.ndim == 0 else out

    def reducible_ratio_compute(self, s: ArrayLike) -> FloatArray | float:
        """``r_opt(s C) / r_opt(C) = s**(-a b / (a + b))``: compute multiplied by ``s``.

        Along the compute-optimal frontier both reducible terms fall as
        ``C**(-a b / (a + b))``, whatever ``C`` is.

        Parameters
        ----------
        s : array_like
            Compute multiplier, > 0.

        Returns
        -------
        float or ndarray

        Raises
        ------
        ValueError
            If ``s`` is not positive.

        Examples
        --------
        >>> round(HOFFMANN.reducible_ratio_compute(10), 2)
        0.7
        """
        out = _positive("s", s) ** (-self.a * self.b / (self.a + self.b))
        return float(out) if out.ndim == 0 else out

    def compute_factor_for_ratio(self, ratio: ArrayLike) -> FloatArray | float:
        """Compute multiplier that scales the compute-optimal reducible loss by ``ratio``.

        The inverse of :meth:`reducible_ratio_compute`: ``ratio**(-(a + b) / (a b))``.

        Parameters
        ----------
        ratio : array_like
            Target ratio of reducible losses, > 0.

        Returns
        -------
        float or ndarray

        Raises
        ------
        ValueError
            If ``ratio`` is not positive.

        Examples
        --------
        About 91x compute halves the reducible loss under Hoffmann's law:

        >>> round(HOFFMANN.compute_factor_for_ratio(0.5))
        91
        """
        out = _positive("ratio", ratio) ** (-(self.a + self.b) / (self.a * self.b))
        return float(out) if out.ndim == 0 else out


class LawDraws(ChinchillaLaw):
    """:class:`ChinchillaLaw` whose constants are arrays of posterior draws (draws on axis 0).

    Reuses ChinchillaLaw's formulas (``reducible``, ``optimal_allocation``, the ratios)
    vectorised over draws; the scalar checks of :class:`ChinchillaLaw` do not apply.

    Examples
    --------
    Hoffmann's and Epoch's laws as two draws: each draw's value is its own law's
    (Chinchilla itself, 70B params on 1.4T tokens: 0.247 and 0.157 nats/token).

    >>> law = LawDraws(**{k: np.array([getattr(HOFFMANN, k), getattr(EPOCH, k)]) for k in "EABab"})
    >>> law.reducible(70e9, 1.4e12).round(3).tolist()
    [0.247, 0.157]
    >>> law.reducible(70e9, 1.4e12)[1] == EPOCH.reducible(70e9, 1.4e12)
    np.True_
    """

    def __post_init__(self) -> None:  # arrays: the scalar checks do not apply
        pass


@dataclass(frozen=True)
class LawPosterior:
    """A Gaussian summary of a fitted law's posterior over its reducible part.

    The coordinates are ``(log r_N, log r_D, a, b)``: the two reducible terms at a reference
    run ``(ref_params, ref_tokens)`` inside the fitted data (``r_N = A ref_params^-a``,
    ``r_D = B ref_tokens^-b``) and the two exponents. These are the coordinates
    :class:`~skillfit.models.scaling_law.ScalingLawModel` samples; their posterior is close to
    normal (see :data:`POSTERIOR`), while ``A`` spans a factor of two and is far from it.
    The joint model's ``law = "posterior"`` draws them from ``Normal(mean, cov)``.

    Parameters
    ----------
    ref_params, ref_tokens : float
        The reference run.
    mean : tuple of 4 floats
        Posterior mean of ``(log r_N, log r_D, a, b)``.
    cov : tuple of 4 tuples of 4 floats
        Posterior covariance.
    E : float
        Posterior median of the irreducible loss (for :meth:`point`; the reducible part does
        not use it).

    Examples
    --------
    >>> post = POSTERIOR
    >>> law = post.point()
    >>> round(law.a, 2), round(law.b, 2)
    (0.37, 0.37)
    """

    ref_params: float
    ref_tokens: float
    mean: tuple[float, float, float, float]
    cov: tuple[tuple[float, float, float, float], ...]
    E: float

    def cholesky(self) -> FloatArray:
        """Lower Cholesky factor of ``cov`` (``mean + L z`` with ``z ~ Normal(0, I)``)."""
        return np.linalg.cholesky(np.asarray(self.cov, float))

    def constants(self, coords: Any) -> tuple[Any, Any, Any, Any]:
        """``(log A, log B, a, b)`` of the law at coordinates ``(log r_N, log r_D, a, b)``.

        Plain arithmetic, so the same code serves NumPy numbers and PyTensor variables.

        Parameters
        ----------
        coords : sequence of 4 arrays
            The coordinates (NumPy arrays or PyTensor variables).

        Returns
        -------
        tuple
            ``log A = log r_N + a log ref_params``, ``log B = log r_D + b log ref_tokens``,
            ``a``, ``b``.
        """
        log_rn, log_rd, a, b = coords
        return (log_rn + a * float(np.log(self.ref_params)),
                log_rd + b * float(np.log(self.ref_tokens)), a, b)

    def point(self) -> ChinchillaLaw:
        """The law at the posterior mean of the coordinates (and the median ``E``)."""
        log_a, log_b, a, b = self.constants(self.mean)
        return ChinchillaLaw(E=self.E, A=float(np.exp(log_a)), B=float(np.exp(log_b)),
                             a=float(a), b=float(b))


def _positive(name: str, value: ArrayLike) -> FloatArray:
    arr = np.asarray(value, float)
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ArgumentError(f"{name} must be a positive number, got {value!r}")
    return arr


#: Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models", Approach 3.
HOFFMANN = ChinchillaLaw(E=1.69, A=406.4, B=410.7, a=0.34, b=0.28)
#: Besiroglu, Erdil, Barnett, You (2024), "Chinchilla Scaling: A replication attempt"
#: (arXiv 2404.10102), their Huber fit to the 240 points reconstructed from Hoffmann's Fig. 4.
EPOCH = ChinchillaLaw(E=1.8172, A=482.01, B=2085.43, a=0.3478, b=0.3658)

PRESETS: dict[str, ChinchillaLaw] = {"hoffmann": HOFFMANN, "epoch": EPOCH}

#: The Bayesian law's posterior on the bundled Chinchilla runs (``skillfit fit chinchilla``:
#: ``models/chinchilla.toml``, 240 runs, 4 x 1000 draws, seed 20240417), summarised by
#: :meth:`skillfit.models.scaling_law.ScalingLawModel.law_posterior`. Posterior sds: log r_N
#: 0.044, log r_D 0.031, alpha 0.013, beta 0.0096; log r_N and alpha correlate -0.975, log r_D
#: and beta -0.981; every margin has skewness within ±0.1 and excess kurtosis within ±0.2, so
#: the normal summary holds. Regenerate with ``scripts/law_posterior.py``.
POSTERIOR = LawPosterior(
    ref_params=848756235, ref_tokens=1.69448765e+10,
    mean=(-1.04340665, -0.983661094, 0.366106494, 0.36790056),
    cov=((0.00190534571, -4.21213811e-05, -0.000543726731, 7.24949793e-06),
         (-4.21213811e-05, 0.00096529759, -4.67017744e-06, -0.000291554063),
         (-0.000543726731, -4.67017744e-06, 0.000163058379, 1.79156625e-06),
         (7.24949793e-06, -0.000291554063, 1.79156625e-06, 9.14888646e-05)),
    E=1.84496126,
)
