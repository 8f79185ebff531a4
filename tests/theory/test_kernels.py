"""The fixed-step Newton solvers of skillfit.theory.kernels converge over a wide domain."""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from skillfit.theory import kernels


def _kl(p, q):
    return kernels.kl_bernoulli(p, q, np)


def test_alpha_solver_converges_over_wide_grid():
    rng = np.random.default_rng(0)
    n = 3000
    theta = 10 ** rng.uniform(-6, np.log10(0.999), n)
    degree = 10 ** rng.uniform(0, 3, n)
    beta = 1 + 10 ** rng.uniform(-4, 6, n)
    h = kernels.entropy_per_edge(theta, degree, np)
    feasible = np.log(beta) > h
    alpha = kernels.solve_alpha_star(h[feasible], beta[feasible], np)
    ref = np.array([
        brentq(lambda a, b=b, hh=hh: _kl(a * b, a) - hh, 1e-300, 1 / b, xtol=1e-300, rtol=1e-15)
        for b, hh in zip(beta[feasible], h[feasible], strict=True)
    ])
    assert feasible.sum() > 1000
    np.testing.assert_allclose(alpha, ref, rtol=1e-9, atol=1e-12)


def test_beta_solver_converges_over_wide_grid():
    rng = np.random.default_rng(1)
    n = 3000
    theta = 10 ** rng.uniform(-6, np.log10(0.999), n)
    degree = 10 ** rng.uniform(0, 3, n)
    alpha = 10 ** rng.uniform(-8, np.log10(0.999), n)
    h = kernels.entropy_per_edge(theta, degree, np)
    feasible = np.log(1 / alpha) > h
    beta = kernels.solve_beta_star(h[feasible], alpha[feasible], np)
    ref = np.array([
        brentq(lambda b, a=a, hh=hh: _kl(a * b, a) - hh, 1.0, 1 / a, xtol=1e-15, rtol=1e-15)
        for a, hh in zip(alpha[feasible], h[feasible], strict=True)
    ])
    np.testing.assert_allclose(beta, ref, rtol=1e-9)


def test_fewer_steps_are_less_accurate():
    """The step count matters (guards against a solver that ignores ``steps``)."""
    h, beta = np.array([0.5]), np.array([3.0])
    assert np.log(beta) > h  # feasible
    exact = kernels.solve_alpha_star(h, beta, np, steps=40)
    rough = kernels.solve_alpha_star(h, beta, np, steps=0)
    assert abs(rough - exact)[0] > 1e-6
    assert abs(kernels.solve_alpha_star(h, beta, np) - exact)[0] < 1e-12
