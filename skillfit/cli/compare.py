"""``skillfit compare [SPEC]``: fit every link on the same data and compare them by PSIS-LOO.

Each link (``threshold``, ``independent``, ``logistic``) is fitted from the same spec and seed;
the pointwise log-likelihood of the Skill-Mix observations (``successes``, the part of the model
the links change) is compared with ``arviz.compare`` (PSIS-LOO, stacking weights). Pareto-k
diagnostics are reported in plain words: a cell with k > 0.7 makes that link's LOO estimate
unreliable there.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from skillfit.errors import SkillfitError

__all__ = ["PARETO_K_MAX", "compare_links", "register", "run"]

#: Pareto-k above which a PSIS-LOO point is unreliable (Vehtari et al. 2024).
PARETO_K_MAX = 0.7
_VAR = "successes"


def register(sub: argparse._SubParsersAction) -> None:
    from skillfit.cli.forecast import DEFAULT_SPEC, add_sampler_args

    p = sub.add_parser(
        "compare",
        help="fit the threshold, independent and logistic links and compare them by PSIS-LOO",
        description=(
            "Fit SPEC (default: the bundled 'skillmix' spec) once per link on the same data and "
            "seed, and print arviz.compare's PSIS-LOO table on the Skill-Mix observations with "
            "Pareto-k warnings. Three full fits: expect several minutes on 2 cores."
        ),
    )
    p.add_argument("spec", metavar="SPEC", nargs="?", default=None,
                   help=f"skill_graph spec name or .toml path (default: {DEFAULT_SPEC})")
    p.add_argument("--links", metavar="L1,L2", default=None,
                   help="comma-separated links to compare (default: all three)")
    p.add_argument("--out", metavar="DIR", help="write compare.csv into DIR")
    add_sampler_args(p)
    p.set_defaults(func=run)


def parse_links(text: str | None) -> list[str]:
    """The ``--links`` option as a list of known links (at least two)."""
    from skillfit.models.links import LINKS

    if text is None:
        return list(LINKS)
    links = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in links if t not in LINKS]
    if bad:
        raise SkillfitError(f"--links: unknown link {bad[0]!r}; choose from {', '.join(LINKS)}")
    if len(set(links)) < 2:
        raise SkillfitError("--links: give at least two different links to compare")
    return list(dict.fromkeys(links))


def fit_links(spec: Any, links: list[str], overrides: dict[str, Any], seed: int | None,
              progress: bool, data: Any = None) -> dict[str, Any]:
    """Fit one model per link from ``spec`` (same data, same seed); return ``{link: model}``."""
    from skillfit.specs import model_class

    data = spec.load_data() if data is None else data
    sampler = dict(spec.sampler_config)
    sampler.update({k: v for k, v in overrides.items() if v is not None})
    models = {}
    for link in links:
        model = model_class(spec.model_type)(
            model_config={**spec.model_config, "link": link}, sampler_config=sampler)
        cfg = model.sampler_config
        print(f"fitting the {link} link: {cfg['chains']} chains x {cfg['draws']} draws after "
              f"{cfg['tune']} tuning steps, {cfg['nuts_sampler']} sampler", flush=True)
        start = time.perf_counter()
        model.fit(data, random_seed=seed, progressbar=progress)
        print(f"  sampled in {time.perf_counter() - start:.1f} s", flush=True)
        models[link] = model
    return models


def compare_links(models: dict[str, Any]) -> tuple[Any, dict[str, dict[str, Any]]]:
    """``(arviz.compare table, {link: pareto-k summary})`` on the Skill-Mix observations."""
    import warnings

    pareto: dict[str, dict[str, Any]] = {}
    with warnings.catch_warnings():
        # ArviZ's generic Pareto-k warning is replaced by pareto_messages(), in plain words.
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
        return _compare_links(models, pareto)


def _compare_links(models: dict[str, Any], pareto: dict[str, dict[str, Any]]
                   ) -> tuple[Any, dict[str, dict[str, Any]]]:
    import arviz as az
    import numpy as np

    for link, model in models.items():
        if "log_likelihood" not in model.idata:
            model.compute_log_likelihood()
        loo = az.loo(model.idata, var_name=_VAR, pointwise=True)
        k = np.asarray(loo.pareto_k).ravel()
        pareto[link] = {"n_k_above_0.7": int(np.sum(k > PARETO_K_MAX)),
                        "max_pareto_k": float(np.nanmax(k)) if np.isfinite(k).any() else float("nan"),
                        "n_k_nan": int(np.sum(~np.isfinite(k))), "n_obs": int(k.size),
                        "good_k": float(loo.good_k)}
    table = az.compare({link: m.idata for link, m in models.items()}, var_name=_VAR,
                       round_to="none")
    return table, pareto


def pareto_messages(pareto: dict[str, dict[str, Any]]) -> list[str]:
    """Plain-words Pareto-k warnings (one per link with problems)."""
    msgs = []
    for link, p in pareto.items():
        if p["n_k_above_0.7"]:
            msgs.append(
                f"{link}: {p['n_k_above_0.7']} of {p['n_obs']} Skill-Mix cells have Pareto k > "
                f"{PARETO_K_MAX} (max {p['max_pareto_k']:.2f}): leaving those cells out changes "
                "the posterior a lot, so this link's LOO estimate is unreliable there (treat "
                "small elpd differences with caution; exact LOO refits or K-fold would settle it)."
            )
        if p["n_k_nan"]:
            msgs.append(f"{link}: Pareto k could not be estimated for {p['n_k_nan']} cells "
                        "(too few draws?)")
    return msgs


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from skillfit.cli.fit import show_progress
    from skillfit.cli.forecast import (
        check_out_dir,
        diagnostics_line,
        load_joint_spec,
        sampler_overrides,
    )
    from skillfit.outputs import atomic_path

    spec = load_joint_spec(args.spec)
    links = parse_links(args.links)
    overrides = sampler_overrides(args)
    out = Path(args.out) if args.out else None
    if out is not None:
        check_out_dir(out)
    models = fit_links(spec, links, overrides, args.seed, show_progress(args))
    table, pareto = compare_links(models)
    table = pd.DataFrame(table)
    for key in ("n_k_above_0.7", "max_pareto_k"):
        table[key] = [pareto[link][key] for link in table.index]
    print()
    print("PSIS-LOO comparison on the Skill-Mix observations (higher elpd is better; elpd_diff "
          "and dse relative to the best link; weight = stacking weight):")
    cols = [c for c in ("rank", "elpd", "se", "elpd_diff", "dse", "p", "weight", "n_k_above_0.7")
            if c in table.columns]
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(table[cols].to_string(float_format=lambda v: f"{v:.2f}"))
    best = table.index[0]
    if len(table) > 1:
        second = table.iloc[1]
        diff, dse = float(second["elpd_diff"]), float(second["dse"])
        verdict = ("clearly" if abs(diff) > 2 * dse else "not clearly")
        print(f"\n{best} is best; it is {verdict} better than {table.index[1]} "
              f"(elpd difference {abs(diff):.1f} vs standard error {dse:.1f})")
    print()
    for link, model in models.items():
        print(f"{link}: " + diagnostics_line(model.diagnostics()))
    for msg in pareto_messages(pareto):
        print(f"warning: {msg}")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        with atomic_path(out / "compare.csv") as tmp:
            table.to_csv(tmp, index_label="link")
        print(f"wrote {out / 'compare.csv'}")
    return 0
