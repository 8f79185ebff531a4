"""Print :data:`skillfit.scaling.POSTERIOR` from a fitted scaling-law run.

The joint model's ``law = "posterior"`` takes a normal summary of the Chinchilla law's
posterior (its reducible part) as the law's prior. That summary is a constant in
``skillfit/scaling.py``, so a forecast never refits the law. To regenerate it after a change of
the scaling-law model or its data::

    skillfit fit chinchilla --out runs/chinchilla
    python scripts/law_posterior.py runs/chinchilla     # paste the output into scaling.py

``tests/models/test_scaling_law.py::test_bundled_law_posterior_matches_a_fresh_fit`` (slow)
checks the constant against a fresh fit.
"""

from __future__ import annotations

import sys
from pathlib import Path

from skillfit.models.scaling_law import ScalingLawModel


def main(run: str) -> None:
    model = ScalingLawModel.load(Path(run) / "posterior.nc" if Path(run).is_dir() else run)
    post = model.law_posterior()
    rows = ",\n         ".join("(" + ", ".join(f"{v:.9g}" for v in row) + ")" for row in post.cov)
    print(f"POSTERIOR = LawPosterior(\n    ref_params={post.ref_params:.9g}, "
          f"ref_tokens={post.ref_tokens:.9g},\n"
          f"    mean=({', '.join(f'{v:.9g}' for v in post.mean)}),\n"
          f"    cov=({rows}),\n"
          f"    E={post.E:.9g},\n)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/chinchilla")
