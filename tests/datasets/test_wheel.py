"""The wheel ships the datasets, and an installed package loads them without a source checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from skillfit import datasets

REPO = Path(__file__).resolve().parents[2]
BUNDLED = "skillfit/_bundled/datasets"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "-w", str(out), str(REPO)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    (whl,) = out.glob("skillfit-*.whl")
    return whl


def test_wheel_contains_every_csv_and_datasheet(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = datasets.list_datasets()
    assert expected, "no datasets found in the checkout"
    for name in expected:
        assert f"{BUNDLED}/{name}.csv" in names
        assert f"{BUNDLED}/{name}.md" in names
    # the bundled copy is the checkout's file, byte for byte
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read(f"{BUNDLED}/skillmix.csv") == datasets.path("skillmix").read_bytes()


def test_installed_wheel_loads_from_the_bundled_folder(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import json, skillfit, skillfit.datasets as d\n"
        "df = d.load('skillmix')\n"
        "v = df.loc[(df.llm == 'GPT-4') & (df.k == 5) & (df.metric == 'ratio_of_full_marks'),"
        " 'value'].item()\n"
        "print(json.dumps({'pkg': skillfit.__file__, 'path': str(d.path('skillmix')),"
        " 'rows': len(df), 'names': d.list_datasets(), 'value': v}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    proc = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(got["pkg"]).is_relative_to(site)
    assert Path(got["path"]) == site / BUNDLED / "skillmix.csv"
    assert got["rows"] == 102
    assert got["names"] == datasets.list_datasets()
    assert got["value"] == 0.12  # the leaderboard's GPT-4 k=5 full marks (datasets/skillmix.md)
