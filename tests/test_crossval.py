"""Cross-validation: folds, exact predictive scores, null baselines, paired differences,
the masked refit, the CLI's run folder (sampling mocked) and Dask-vs-serial equality."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from skillfit import crossval as cv
from skillfit.backtest import crps_from_samples
from skillfit.errors import SkillfitError
from skillfit.models.skill_graph import SkillGraphModel


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return SkillGraphModel.bundled_data()


@pytest.fixture(scope="module")
def cells(data: pd.DataFrame) -> pd.DataFrame:
    return cv.cell_table(data)


# ----------------------------------------------------------------------------- folds
def test_llm_folds_hold_out_each_llm_and_keep_closed_lowest_k(cells: pd.DataFrame) -> None:
    folds = cv.make_folds(cells, "llm")
    assert [f.name for f in folds] == list(dict.fromkeys(cells["llm"]))
    for fold in folds:
        held = cells.loc[list(fold.heldout)]
        mine = cells[cells["llm"] == fold.name]
        assert set(held["llm"]) == {fold.name}
        if mine["closed"].iloc[0]:  # latent loss re-inferred from the lowest-k cell
            assert set(held["k"]) == set(mine["k"]) - {mine["k"].min()}
        else:
            assert len(held) == len(mine)
    # every open cell is held out exactly once
    all_held = [i for f in folds for i in f.heldout]
    assert len(all_held) == len(set(all_held)) == len(cells) - int(
        cells[cells["closed"]].groupby("llm").ngroups)


def test_top_k_fold_is_each_llms_highest_k(cells: pd.DataFrame) -> None:
    (fold,) = cv.make_folds(cells, "top-k")
    held = cells.loc[list(fold.heldout)]
    assert sorted(held["llm"]) == sorted(set(cells["llm"]))
    assert held.set_index("llm")["k"].sort_index().equals(cells.groupby("llm")["k"].max())


def test_size_folds_hold_out_llms_above_the_cut(cells: pd.DataFrame) -> None:
    folds = cv.make_folds(cells, "size")
    assert len(folds) >= 2
    per_llm = cells.groupby("llm").first()
    for fold in folds:
        out = set(cells.loc[list(fold.heldout), "llm"])
        keep = set(cells["llm"]) - out
        assert len(out) >= 2
        assert per_llm.loc[list(out), "log10_compute"].min() > per_llm.loc[
            [m for m in keep if not per_llm.at[m, "closed"]], "log10_compute"].max()
        assert per_llm.loc[list(keep), "compute_known"].sum() >= 2
        assert not per_llm.loc[list(out), "closed"].any()
    sizes = [len(f.heldout) for f in folds]
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes)


def test_unknown_scheme(cells: pd.DataFrame) -> None:
    with pytest.raises(cv.SkillfitError, match="unknown scheme"):
        cv.make_folds(cells, "random")


# ----------------------------------------------------------------------------- scores
def test_crps_of_a_bernoulli_and_a_point_mass() -> None:
    p = 0.3  # rate 1 with probability p: CRPS at y = 1 is (1 - p)^2, at y = 0 p^2
    assert cv.crps_discrete([1 - p, p], 1) == pytest.approx((1 - p) ** 2)
    assert cv.crps_discrete([1 - p, p], 0) == pytest.approx(p**2)
    pmf = np.zeros(11)
    pmf[7] = 1.0
    assert cv.crps_discrete(pmf, 2) == pytest.approx(0.5)


def test_crps_discrete_matches_samples() -> None:
    pmf = cv.mixture_pmf(20, np.array([0.2, 0.4]), np.array([10.0, 30.0]))
    rng = np.random.default_rng(0)
    draws = rng.choice(21, size=200_000, p=pmf) / 20
    assert cv.crps_discrete(pmf, 5) == pytest.approx(float(crps_from_samples(draws, 0.25)),
                                                     abs=2e-3)


def test_mixture_pmf_is_the_average_of_beta_binomials() -> None:
    pmf = cv.mixture_pmf(5, [0.1, 0.6], [4.0, 8.0])
    want = 0.5 * (stats.betabinom.pmf(np.arange(6), 5, 0.4, 3.6)
                  + stats.betabinom.pmf(np.arange(6), 5, 4.8, 3.2))
    np.testing.assert_allclose(pmf, want)


def test_pmf_scores_intervals_and_coverage() -> None:
    pmf = stats.binom.pmf(np.arange(101), 100, 0.5)
    s = cv.pmf_scores(pmf, 50)
    assert s["median"] == 0.5
    lo, hi = stats.binom.ppf([0.055, 0.945], 100, 0.5) / 100
    assert (s["lower_89"], s["upper_89"]) == (lo, hi)
    assert s["inside_89"] and s["inside_50"]
    assert s["log_score"] == pytest.approx(stats.binom.logpmf(50, 100, 0.5))
    far = cv.pmf_scores(pmf, 90)
    assert not far["inside_89"] and far["abs_err_points"] == pytest.approx(40.0)
    # coverage of the exact intervals is at least nominal for draws from the same law
    ys = np.random.default_rng(1).binomial(100, 0.5, 2000)
    inside = np.mean([(lo <= y / 100 <= hi) for y in ys])
    assert inside >= 0.87


# ----------------------------------------------------------------------------- nulls
def test_per_k_mean_null(cells: pd.DataFrame) -> None:
    (fold,) = cv.make_folds(cells, "top-k")
    train, test = cells.drop(index=list(fold.heldout)), cells.loc[list(fold.heldout)]
    m_train, m_test = cv.null_means("per-k mean", train, test)
    means = train.groupby("k")["observed"].mean()
    np.testing.assert_allclose(m_train, train["k"].map(means))
    # k = 6 has no training cell (GPT-4's top k): it takes k = 5's mean
    assert 6 not in means.index
    assert m_test[list(test["k"]).index(6)] == pytest.approx(means[5])


def test_per_k_logistic_recovers_a_sigmoid() -> None:
    from scipy.special import expit

    x = np.linspace(22, 25, 8)
    n = np.full(8, 5000)
    s = np.rint(n * expit(-1.0 + 2.0 * (x - x.mean()))).astype(int)
    train = pd.DataFrame({"llm": [f"m{i}" for i in range(8)], "k": 2, "n": n, "successes": s,
                          "observed": s / n, "log10_compute": x})
    test = pd.DataFrame({"llm": ["new"], "k": [2], "log10_compute": [26.0]})
    _, m_test = cv.null_means("per-k logistic", train, test)
    assert m_test[0] == pytest.approx(expit(-1.0 + 2.0 * (26.0 - x.mean())), abs=0.01)


def test_per_k_logistic_closed_llm_effective_compute_and_fallback() -> None:
    from scipy.special import expit

    x = np.linspace(22, 25, 6)
    n = np.full(6, 1000)
    rows = []
    for k, a in ((2, 0.0), (3, -2.0)):
        s = np.rint(n * expit(a + 1.5 * (x - x.mean()))).astype(int)
        rows += [{"llm": f"m{i}", "k": k, "n": n[i], "successes": s[i],
                  "log10_compute": x[i]} for i in range(6)]
    # a closed LLM whose k = 2 rate puts it at the top of the range, and one cell at k = 4
    rows.append({"llm": "closed", "k": 2, "n": 1000,
                 "successes": int(1000 * expit(1.5 * (25 - x.mean()))), "log10_compute": np.nan})
    rows.append({"llm": "m0", "k": 4, "n": 1000, "successes": 10, "log10_compute": x[0]})
    train = pd.DataFrame(rows)
    train["observed"] = train["successes"] / train["n"]
    test = pd.DataFrame({"llm": ["closed", "closed"], "k": [3, 4], "log10_compute": np.nan})
    _, m_test = cv.null_means("per-k logistic", train, test)
    assert m_test[0] == pytest.approx(expit(-2.0 + 1.5 * (25 - x.mean())), abs=0.02)
    assert m_test[1] == pytest.approx(0.01)  # one training cell at k = 4: the per-k mean


def test_fit_dispersion_recovers_kappa() -> None:
    rng = np.random.default_rng(3)
    m, kappa, n = 0.3, 12.0, 60
    s = rng.binomial(n, rng.beta(m * kappa, (1 - m) * kappa, 400))
    assert cv.fit_dispersion(s, np.full(400, n), np.full(400, m)) == pytest.approx(kappa, rel=0.25)


def test_null_pmfs_on_every_bundled_fold(cells: pd.DataFrame) -> None:
    for scheme in cv.SCHEMES:
        for fold in cv.make_folds(cells, scheme):
            train, test = cells.drop(index=list(fold.heldout)), cells.loc[list(fold.heldout)]
            for null in cv.NULLS:
                pmfs, kappa = cv._null_pmfs(null, train, test)
                assert len(pmfs) == len(test) and kappa > 0
                assert all(abs(p.sum() - 1) < 1e-9 and p.size == n + 1
                           for p, n in zip(pmfs, test["n"], strict=True))


def test_paired_differences_standard_errors() -> None:
    rng = np.random.default_rng(0)
    d = rng.normal(0.5, 1.0, 12)
    base = rng.normal(-3, 1, 12)
    rows = [{"scheme": "s", "fold": "f", "llm": f"m{i}", "k": 2, "method": meth, "kind": kind,
             "log_score": base[i] + (d[i] if kind == "model" else 0.0),
             "crps_points": 5.0 - (d[i] if kind == "model" else 0.0)}
            for i in range(12) for meth, kind in (("link", "model"), ("null", "baseline"))]
    out = cv.paired_differences(pd.DataFrame(rows)).iloc[0]
    assert out["d_elpd"] == pytest.approx(d.sum())
    assert out["se_elpd"] == pytest.approx(d.std(ddof=1) * np.sqrt(12))
    assert out["d_crps_points"] == pytest.approx(-d.mean())
    assert out["se_crps_points"] == pytest.approx(d.std(ddof=1) / np.sqrt(12))
    assert out["verdict"].startswith("link")


def test_paired_runs_pair_the_same_link_over_the_cells_both_hold_out(tmp_path) -> None:
    """New minus old per scheme and link, over the cells both runs scored: sums and standard
    errors by hand; a cell only one run holds out, a link only one run fits and the nulls are
    left out."""
    rng = np.random.default_rng(1)
    d = rng.normal(0.3, 1.0, 8)
    old_ls = rng.normal(-3, 1, 8)
    old = pd.DataFrame({"scheme": "llm", "fold": [f"f{i}" for i in range(8)],
                        "llm": [f"m{i}" for i in range(8)], "k": 3, "method": "threshold",
                        "kind": "model", "log_score": old_ls, "crps_points": 4.0 + d})
    new = old.assign(log_score=old_ls + d, crps_points=4.0)
    extra = pd.DataFrame({"scheme": "llm", "fold": "f9", "llm": "m9", "k": 2,
                          "method": ["threshold", "logistic", "per-k mean"],
                          "kind": ["model", "model", "baseline"], "log_score": -1.0,
                          "crps_points": 1.0})
    out = cv.paired_runs(pd.concat([new, extra]), old)
    assert list(out.columns) == ["scheme", "model", "cells", "d_elpd", "se_elpd",
                                 "d_crps_points", "se_crps_points", "verdict"]
    row = out.iloc[0]
    assert len(out) == 1 and (row["scheme"], row["model"], row["cells"]) == ("llm", "threshold", 8)
    assert row["d_elpd"] == pytest.approx(d.sum(), rel=1e-12)
    assert row["se_elpd"] == pytest.approx(d.std(ddof=1) * np.sqrt(8), rel=1e-12)
    assert row["d_crps_points"] == pytest.approx(-d.mean(), rel=1e-12)
    assert row["se_crps_points"] == pytest.approx(d.std(ddof=1) / np.sqrt(8), rel=1e-12)
    assert row["verdict"].startswith("threshold (this run)") and "the baseline run" in row["verdict"]
    with pytest.raises(SkillfitError, match="share no link and held-out cell"):
        cv.paired_runs(new.assign(method="logistic"), old)
    # read_folds: the run folder's folds.csv, or one clear message naming the file
    old.to_csv(tmp_path / "folds.csv", index=False)
    pd.testing.assert_frame_equal(cv.read_folds(tmp_path), old)
    with pytest.raises(SkillfitError) as exc:
        cv.read_folds(tmp_path / "nope")
    assert str(exc.value) == f"{tmp_path / 'nope' / 'folds.csv'}: not found (give the folder of a skillfit crossval run)"
    old.drop(columns=["kind", "crps_points"]).to_csv(tmp_path / "folds.csv", index=False)
    with pytest.raises(SkillfitError) as exc:
        cv.read_folds(tmp_path)
    assert str(exc.value) == (f"{tmp_path / 'folds.csv'}: missing column(s) kind, crps_points "
                              "of a crossval run")


# ----------------------------------------------------------------------------- masked refit
@pytest.mark.parametrize("config", [{}, {"all_skills": True}], ids=["full_marks", "all_skills"])
def test_zero_trials_mask_a_cell_exactly(data: pd.DataFrame, config: dict) -> None:
    """held_out_data sets every observed array of the held cells to 0: their log-likelihood
    is exactly 0 and the other cells' is unchanged (also with the all-skills counts)."""
    import pymc as pm

    model = SkillGraphModel(config)
    pm_model = model.build_model(data)
    point = pm_model.initial_point(0)
    logp = pm_model.compile_logp(vars=[pm_model["successes"]], sum=False)
    elem = np.asarray(logp(point)[0])
    held = model.held_out_data([4, 9])
    assert sorted(held) == sorted(["successes_observed", "trials_observed"]
                                  + (["all_skills_observed"] if config else []))
    with pm_model:
        pm.set_data(held)
    masked = np.asarray(logp(point)[0])
    assert abs(masked[4]) < 1e-12 and abs(masked[9]) < 1e-12  # 0, up to rounding of betaln
    assert elem[4] < -1e-3 and elem[9] < -1e-3
    np.testing.assert_allclose(np.delete(masked, [4, 9]), np.delete(elem, [4, 9]))


@pytest.fixture
def mocked_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    import pymc as pm
    from pymc.testing import mock_sample

    monkeypatch.setattr(pm, "sample", mock_sample)


def test_crossval_table_with_mocked_sampling(data: pd.DataFrame, mocked_sample: None) -> None:
    table = cv.crossval(data, ["top-k"], ["independent"],
                        sampler_config={"nuts_sampler": "pymc", "draws": 20, "tune": 0,
                                        "chains": 1})
    assert set(table["method"]) == {"independent", *cv.NULLS}
    per = table.groupby(["scheme", "method"]).size()
    assert per["top-k"].nunique() == 1 and per["top-k"].iloc[0] == 10
    assert set(table["kind"]) == {"model", "baseline"}
    assert np.isfinite(table["log_score"]).all() and (table["crps_points"] >= 0).all()
    summary = cv.summarise(table)
    assert set(summary["kind"]) == {"model", "baseline"}
    assert summary.loc[summary["kind"] == "baseline", "divergences"].isna().all()
    assert cv.with_open_only(table).equals(table)  # no llm scheme: nothing added
    # the table survives a CSV round trip (no value reads back as missing)
    import io
    back = pd.read_csv(io.StringIO(table.to_csv(index=False)))
    assert back["kind"].notna().all()
    assert len(cv.paired_differences(back)) == len(cv.paired_differences(table)) == 2


def test_cli_writes_the_run_folder(tmp_path, mocked_sample: None, capsys) -> None:
    from skillfit.cli import main

    out = tmp_path / "cv"
    code = main(["crossval", "--schemes", "top-k", "--links", "logistic", "--serial",
                 "--sampler", "pymc", "--draws", "20", "--tune", "0", "--chains", "1",
                 "--no-sensitivity", "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "per-k mean" in text and "paired differences" in text
    assert {p.name for p in out.iterdir()} >= {"folds.csv", "summary.csv", "paired.csv",
                                               "calibration.png", "llm_errors.png", "run.json"}
    assert json.loads((out / "run.json").read_text())["schemes"] == ["top-k"]
    # summary.csv: one row per null for the model (its paired differences beside it), one per
    # null; no duplicated merge columns
    summary = pd.read_csv(out / "summary.csv")
    assert "cells" in summary and not {"cells_x", "cells_y", "model"} & set(summary)
    model_rows = summary[summary["kind"] == "model"]
    assert sorted(model_rows["null"]) == sorted(summary.loc[summary["kind"] == "baseline",
                                                            "method"])
    paired = pd.read_csv(out / "paired.csv")
    assert model_rows["d_elpd"].tolist() == paired["d_elpd"].tolist()
    assert summary.loc[summary["kind"] == "baseline", "d_elpd"].isna().all()
    assert main(["crossval", "--schemes", "nope", "--serial", "--out", str(tmp_path / "x")]) == 1
    # against that run as the baseline: the same seeds give the same refits, a zero difference
    again = tmp_path / "cv2"
    code = main(["crossval", "--schemes", "top-k", "--links", "logistic", "--serial",
                 "--sampler", "pymc", "--draws", "20", "--tune", "0", "--chains", "1",
                 "--no-sensitivity", "--out", str(again), "--baseline", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert f"Against the baseline run {out}" in text
    against = pd.read_csv(again / "baseline.csv")
    assert list(against["model"]) == ["logistic"] and against["cells"].tolist() == [10]
    assert against["d_elpd"].abs().max() < 1e-9
    # a baseline folder without folds.csv: one message, exit 1, no output folder
    code = main(["crossval", "--schemes", "top-k", "--serial", "--out", str(tmp_path / "y"),
                 "--baseline", str(tmp_path)])
    assert code == 1 and not (tmp_path / "y").exists()
    assert "folds.csv: not found" in capsys.readouterr().err


def test_drop_loss_only_families_keeps_skillmix_families(data: pd.DataFrame) -> None:
    kept = cv.drop_loss_only_families(data)
    assert (kept["table"] == "skillmix").sum() == (data["table"] == "skillmix").sum()
    assert "Llama-2-70B" in set(kept.loc[kept["table"] == "losses", "llm"])
    assert "DeepSeek-V2" not in set(kept.loc[kept["table"] == "losses", "llm"])


# ----------------------------------------------------------------------------- Dask vs serial
@pytest.mark.slow
def test_dask_equals_serial_on_tiny_real_fits(data: pd.DataFrame) -> None:
    from skillfit.runner import Runner

    cells = cv.cell_table(data)
    (fold,) = cv.make_folds(cells, "top-k")
    tasks = [{"link": link, "data": data, "model_config": {}, "heldout": fold.heldout,
              "sampler_config": {"draws": 30, "tune": 30, "chains": 2,
                                 "nuts_sampler": "nutpie"}, "seed": 11}
             for link in ("logistic", "independent")]
    with Runner(serial=True) as r:
        serial = r.map(cv.fit_fold_task, tasks)
    with Runner(n_workers=2) as r:
        dask = r.map(cv.fit_fold_task, tasks)
    for a, b in zip(serial, dask, strict=True):
        np.testing.assert_array_equal(a["score"], b["score"])
        np.testing.assert_array_equal(a["kappa"], b["kappa"])


def test_refits_adapt_the_models_mass_matrix_or_the_configs(data: pd.DataFrame,
                                                            monkeypatch) -> None:
    """nutpie refits adapt the joint model's mass matrix (NUTPIE_ADAPTATION) unless the sampler
    config's nuts table names another, which crossval passes on to the tasks."""
    import nutpie

    from skillfit.models.skill_graph import NUTPIE_ADAPTATION

    seen = []

    def spy(*args, **kwargs):
        seen.append(kwargs.get("adaptation"))
        raise RuntimeError("stop")

    monkeypatch.setattr(nutpie, "sample", spy)
    task = {"link": "logistic", "data": data, "model_config": {}, "heldout": (0,), "seed": 1,
            "sampler_config": {"draws": 5, "tune": 5, "chains": 1, "nuts_sampler": "nutpie"}}
    for nuts in (None, {"adaptation": "diag"}):
        if nuts is not None:
            task["sampler_config"]["nuts"] = nuts
        with pytest.raises(RuntimeError, match="stop"):
            cv.fit_fold_task(task)
    assert seen == [NUTPIE_ADAPTATION, "diag"]

    class Seen(Exception):
        pass

    def task_spy(t):
        raise Seen(t["sampler_config"])

    monkeypatch.setattr(cv, "fit_fold_task", task_spy)
    with pytest.raises(Seen) as info:
        cv.crossval(data, ["top-k"], ["logistic"],
                    sampler_config={"nuts_sampler": "nutpie", "nuts": {"adaptation": "diag"}})
    assert info.value.args[0]["nuts"] == {"adaptation": "diag"}
