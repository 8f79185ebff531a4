"""The PyTensor face of the theory agrees with the NumPy face, values and gradients."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from skillfit import scaling, theory
from skillfit.models import pytensor_face


@pytest.fixture(scope="module")
def compiled():
    theta, tau = pt.dvector("theta"), pt.dscalar("tau")
    degree, k = pt.dscalar("degree"), pt.dvector("k")
    out = {}
    for mode in ("union", "linear"):
        frac = pytensor_face.competent_fraction(theta, degree, tau, k, mode)
        grads = pytensor.grad(frac.sum(), [theta, degree, tau])
        out[mode] = pytensor.function([theta, degree, tau, k], [frac, *grads])
    return out


def _grid():
    rng = np.random.default_rng(7)
    theta = 10 ** rng.uniform(-4, np.log10(0.6), 400)
    k = rng.integers(1, 7, 400).astype(float)
    return theta, k


@pytest.mark.parametrize("mode", ["union", "linear"])
@pytest.mark.parametrize(("degree", "tau"), [(8.0, 0.5), (2.0, 0.1), (40.0, 0.8)])
def test_values_agree_to_1e8(compiled, mode, degree, tau):
    theta, k = _grid()
    symbolic = compiled[mode](theta, degree, tau, k)[0]
    numeric = theory.competent_fraction(theta, degree, tau, k, mode)
    np.testing.assert_allclose(symbolic, numeric, atol=1e-8, rtol=0)
    assert (numeric > 0).sum() > 100  # the grid exercises the interesting region


@pytest.mark.parametrize(("degree", "tau"), [(8.0, 0.5), (40.0, 0.8)])
def test_gradients_match_finite_differences(compiled, degree, tau):
    theta, k = _grid()
    _, d_theta, d_degree, d_tau = compiled["union"](theta, degree, tau, k)
    eps = 1e-6

    def f(t=theta, d=degree, ta=tau):
        return theory.competent_fraction(t, d, ta, k)

    fd_theta = (f(t=theta * (1 + eps)) - f(t=theta * (1 - eps))) / (2 * eps * theta)
    # Away from the kinks (Markov switch, beta = 1) the gradient is smooth.
    smooth = np.abs(fd_theta - (f(t=theta * (1 + 2 * eps)) - f(t=theta)) / (2 * eps * theta)) < 1e-3
    np.testing.assert_allclose(d_theta[smooth], fd_theta[smooth], rtol=1e-4, atol=1e-6)
    fd_degree = (f(d=degree + eps).sum() - f(d=degree - eps).sum()) / (2 * eps)
    fd_tau = (f(ta=tau + eps).sum() - f(ta=tau - eps).sum()) / (2 * eps)
    assert d_degree == pytest.approx(fd_degree, rel=1e-4)
    assert d_tau == pytest.approx(fd_tau, rel=1e-4)
    assert np.all(np.isfinite(d_theta))


def test_theta_map_and_tuple_theta_agree():
    r, c, kk = pt.dvector("r"), pt.dscalar("c"), pt.dscalar("k")
    f = pytensor.function([r, c, kk], [pytensor_face.theta_from_reducible(r, c),
                                       pytensor_face.tuple_theta(r, kk)])
    values = np.array([0.0, 0.01, 0.3, 0.9])
    th, tup = f(values, 1.7, 3.0)
    np.testing.assert_allclose(th, scaling.theta_from_reducible(values, 1.7), atol=1e-15)
    np.testing.assert_allclose(tup, theory.tuple_theta(values, 3.0), atol=1e-15)
    # the exponent eta: 1 - exp(-c r^eta) in both faces, and by hand
    e = pt.dscalar("eta")
    g = pytensor.function([r, c, e], pytensor_face.theta_from_reducible(r, c, e))
    for eta in (0.6, 1.0, 1.4):
        want = 1.0 - np.exp(-1.7 * values**eta)
        np.testing.assert_allclose(g(values, 1.7, eta), want, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(scaling.theta_from_reducible(values, 1.7, eta), want,
                                   rtol=1e-13, atol=1e-15)


def test_default_mode_is_the_union():
    """Without ``mode``, the symbolic competent fraction and tuple theta use the union of the
    k pieces (the theory's default): the values at theta = 0.01-0.3 agree with the NumPy face
    in "union" mode, and differ from "linear"."""
    theta = np.array([0.01, 0.05, 0.1, 0.3])
    k = np.array([1.0, 2.0, 3.0, 5.0])
    frac = pytensor_face.competent_fraction(pt.as_tensor(theta), 8.0, 0.5, pt.as_tensor(k))
    frac = pytensor.function([], frac, mode="FAST_COMPILE")()  # a Python linker: no compiling
    np.testing.assert_allclose(frac, theory.competent_fraction(theta, 8.0, 0.5, k, "union"),
                               atol=1e-8, rtol=0)
    assert not np.allclose(frac, theory.competent_fraction(theta, 8.0, 0.5, k, "linear"),
                           atol=1e-6, rtol=0)
    tup = pytensor.function([], pytensor_face.tuple_theta(pt.as_tensor(theta), pt.as_tensor(k)),
                            mode="FAST_COMPILE")()
    np.testing.assert_allclose(tup, 1 - (1 - theta) ** k, rtol=1e-14)


def test_opaque_stays_one_node_through_compilation():
    """``_opaque`` wraps a graph in one OpFromGraph node that the compiled function keeps (not
    inlined into the outer graph, where the rewrites that looped could reach it); the values
    are those of the wrapped function."""
    from pytensor.compile.builders import OpFromGraph

    x, y = pt.dvector("x"), pt.dvector("y")
    out = pytensor_face._opaque(lambda a, b: a * b + a, x, y)
    f = pytensor.function([x, y], out)
    assert any(isinstance(node.op, OpFromGraph) for node in f.maker.fgraph.apply_nodes)
    np.testing.assert_array_equal(f([1.0, 2.0], [3.0, 4.0]), [4.0, 10.0])


def test_theory_mode_is_numba_whatever_the_configured_mode():
    """theory_mode() is PyTensor's NUMBA mode without the looping rewrite, also when the
    configured default mode is another (here FAST_COMPILE, a Python linker)."""
    from pytensor.compile.mode import get_mode

    with pytensor.config.change_flags(mode="FAST_COMPILE"):
        mode = pytensor_face.theory_mode()
        assert "Numba" not in type(get_mode(None).linker).__name__
    assert "Numba" in type(mode.linker).__name__
    assert set(pytensor_face.EXCLUDED_REWRITES) <= set(mode.provided_optimizer.exclude)


def test_tau_spread_link_faces_agree_and_gradients_are_finite_differences():
    """The threshold link averaged over competence levels (tau_spread): the PyTensor graph
    equals the NumPy face to 1e-8 and its gradients in theta, tau and the spread match
    central differences of the NumPy face, across the single level's kink."""
    from skillfit.models.links import link_probability

    theta_v = pt.dvector("theta")
    tau_v, spread_v = pt.dscalar("tau"), pt.dscalar("spread")
    k = np.array([2.0, 3.0, 4.0, 6.0])
    pi = link_probability("threshold", theta_v, None, k,
                          {"degree": 7.0, "tau": tau_v, "tau_spread": spread_v, "floor": 0.0},
                          pytensor_face.PT)
    total = pi.sum()
    fn = pytensor.function([theta_v, tau_v, spread_v],
                           [pi, *pytensor.grad(total, [theta_v, tau_v, spread_v])])
    theta = np.array([0.03, 0.12, 0.16, 0.25])  # 0.16-0.2: near the kink at k = 3, 4

    def numpy_total(th, ta, sp):
        return link_probability("threshold", th, None, k,
                                {"degree": 7.0, "tau": ta, "tau_spread": sp}, np)

    got, d_theta, d_tau, d_spread = fn(theta, 0.5, 0.7)
    np.testing.assert_allclose(got, numpy_total(theta, 0.5, 0.7), rtol=1e-8, atol=1e-12)
    h = 1e-6
    for i in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        fd = (numpy_total(up, 0.5, 0.7).sum() - numpy_total(down, 0.5, 0.7).sum()) / (2 * h)
        assert d_theta[i] == pytest.approx(fd, rel=1e-4, abs=1e-7)
    fd = (numpy_total(theta, 0.5 + h, 0.7).sum() - numpy_total(theta, 0.5 - h, 0.7).sum()) / (2 * h)
    assert float(d_tau) == pytest.approx(fd, rel=1e-4, abs=1e-7)
    fd = (numpy_total(theta, 0.5, 0.7 + h).sum() - numpy_total(theta, 0.5, 0.7 - h).sum()) / (2 * h)
    assert float(d_spread) == pytest.approx(fd, rel=1e-4, abs=1e-7)
    assert np.all(np.isfinite([d_theta.sum(), d_tau, d_spread])) and abs(float(d_spread)) > 1e-3


@pytest.mark.parametrize("spread", [0.4, 0.0])
def test_threshold_link_gradient_is_finite_where_no_tuple_is_handled(spread: float) -> None:
    """theta near 1 (a large c, the prior's corner where no LLM handles anything): 1 - theta_k
    rounds to 0 at k = 6 for theta = 0.999, and theta itself is 1.0 once c r^eta > 37. The
    link is 0 there and its gradient must be 0, not NaN: a NaN gradient is a divergence
    ("Logp function returned error code"), which these points caused in simulation-based
    calibration before the level average took log(1 - theta_k) as k log(1 - theta)."""
    from skillfit.models.links import link_probability

    theta_v, degree_v = pt.dvector("theta"), pt.dscalar("degree")
    k = pt.dvector("k")
    params = {"degree": degree_v, "tau": 0.5, "floor": 0.0}
    if spread:
        params["tau_spread"] = spread
    pi = link_probability("threshold", theta_v, None, k, params, pytensor_face.PT)
    fn = pytensor.function([theta_v, degree_v, k],
                           [pi, *pytensor.grad(pt.log(pi + 1e-6).sum(), [theta_v, degree_v])],
                           mode=pytensor_face.theory_mode())
    theta = np.array([0.5, 0.9, 0.999, 0.9999, 1 - 1e-13, 1.0])
    for kk in (1.0, 6.0):
        got, d_theta, d_degree = fn(theta, 7.5, np.full(theta.size, kk))
        assert np.all(np.isfinite(d_theta)) and np.isfinite(d_degree), (kk, d_theta)
        assert np.all(got[2:] < 1e-60)
        assert np.all(d_theta <= 0.0)  # more failed text, fewer tuples handled


def test_skill_fraction_faces_agree_and_gradients_are_finite_differences():
    """The expected skill fraction: the PyTensor graph (pi levels, gamma per cell, the weight
    and per_tuple symbolic, as in the joint model) equals the NumPy face to 1e-12, and its
    gradients in the pi levels and the weight match central differences of the NumPy face."""
    from skillfit.models.links import skill_fraction_probability

    pis_v, gamma_v = pt.dmatrix("pis"), pt.dvector("gamma")
    w_v, per_tuple_v = pt.dscalar("w"), pt.dscalar("per_tuple")
    k = np.array([1.0, 2.0, 3.0, 4.0])
    pis_static = pt.specify_shape(pis_v, (4, 4))
    frac = skill_fraction_probability(pis_static, k, gamma_v, w_v, pytensor_face.PT,
                                      per_tuple=per_tuple_v)
    fn = pytensor.function([pis_v, gamma_v, w_v, per_tuple_v],
                           [frac, *pytensor.grad(frac.sum(), [pis_v, w_v])])
    pis = np.array([[0.9, 0.6, 0.3, 0.1], [0.8, 0.4, 0.2, 0.05], [0.7, 0.5, 0.2, 0.0],
                    [0.95, 0.9, 0.7, 0.4]])
    gamma, w, per_tuple = np.array([0.9, 0.7, 0.6, 0.8]), 0.35, 0.6

    def numpy_face(p, ww):
        return skill_fraction_probability(p, k, gamma, ww, np, per_tuple=per_tuple)

    got, d_pis, d_w = fn(pis, gamma, w, per_tuple)
    np.testing.assert_allclose(got, numpy_face(pis, w), rtol=1e-12, atol=1e-15)
    h = 1e-6
    fd = np.zeros_like(pis)
    for idx in np.ndindex(pis.shape):
        up, down = pis.copy(), pis.copy()
        up[idx] += h
        down[idx] -= h
        fd[idx] = (numpy_face(up, w).sum() - numpy_face(down, w).sum()) / (2 * h)
    np.testing.assert_allclose(d_pis, fd, rtol=1e-5, atol=1e-8)
    assert np.all(d_pis[0, 1:] == 0.0)  # k = 1 reads pi_1 alone
    fd_w = (numpy_face(pis, w + h).sum() - numpy_face(pis, w - h).sum()) / (2 * h)
    assert float(d_w) == pytest.approx(fd_w, rel=1e-5) and abs(float(d_w)) > 1e-3
