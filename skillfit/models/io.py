"""Saved runs: the netCDF file of a fitted model, its identity and its checks on load.

:class:`ModelIO` is the file half of :class:`~skillfit.models.base.ModelBuilder` (the split
follows pymc-marketing's ``model_builder.py``: ``ModelIO`` there too holds the id, the file
attributes, save and load; the builder holds configuration, sampling and diagnostics).

A saved run is one netCDF file (``xarray.DataTree``, h5netcdf engine) holding the groups of the
fit (``posterior``, ``sample_stats``, ``observed_data``, ``log_likelihood``,
``posterior_predictive``, ...), a ``fit_data`` group with the training table (one variable per
column on dimension ``obs``), and these root attributes:

======================  ====================================================================
``model_type``          which class wrote it (its class attribute ``_model_type``)
``version``             the class's model version (:attr:`ModelIO.version`) when written
``id``                  :attr:`ModelIO.id`: hash of model type, model version, ``model_config``
``model_config``        the merged model configuration, JSON
``sampler_config``      the merged sampler configuration, JSON
``random_seed``         the seed of the fit (also seeds the stored posterior predictive draws)
``skillfit_version``    the package version that wrote the file (provenance only)
======================  ====================================================================

plus provenance (``nuts_sampler``, ``data_sha256``, ``versions``; see :mod:`skillfit.provenance`).
A run saved by one skillfit release loads in a later one as long as the model's ``version`` is
unchanged: the package version is recorded but is not part of the identity.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
import xarray as xr

from skillfit import __version__
from skillfit.errors import DifferentModelError, SkillfitError
from skillfit.outputs import atomic_path
from skillfit.provenance import data_sha256, versions

__all__ = ["ModelIO", "dataset_to_frame", "frame_to_dataset", "jsonable", "saved_attrs"]


def jsonable(value: Any) -> Any:
    """``value`` with NumPy scalars made Python numbers and mapping keys made strings.

    Examples
    --------
    >>> jsonable({"a": np.float64(1.5), 2: (np.int64(3),)})
    {'a': 1.5, '2': [3]}
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def frame_to_dataset(df: pd.DataFrame) -> xr.Dataset:
    """A DataFrame as a Dataset on dimension ``obs`` that survives netCDF.

    Booleans are stored as ``int8`` and strings as variable-length strings; the variable's
    ``skillfit_dtype`` attribute records which, so :func:`dataset_to_frame` can undo it.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1.0, 2.0], "ok": [True, False], "name": ["a", None]})
    >>> ds = frame_to_dataset(df)
    >>> ds["ok"].dtype, ds["ok"].attrs["skillfit_dtype"]
    (dtype('int8'), 'bool')
    >>> dataset_to_frame(ds).equals(df.astype({"name": "str"}))
    True
    """
    data_vars = {}
    for col in df.columns:
        values = df[col].to_numpy()
        attrs: dict[str, str] = {}
        if pd.api.types.is_bool_dtype(df[col].dtype):
            values = values.astype("int8")
            attrs["skillfit_dtype"] = "bool"
        elif not pd.api.types.is_numeric_dtype(df[col].dtype):
            # missing as "" (xarray would turn None into NaN, written as the string "nan")
            values = np.array(["" if pd.isna(v) else str(v) for v in values], dtype=object)
            attrs["skillfit_dtype"] = "str"
        data_vars[str(col)] = xr.Variable(("obs",), values, attrs=attrs)
    return xr.Dataset(data_vars, coords={"obs": np.arange(len(df))})


def dataset_to_frame(ds: xr.Dataset) -> pd.DataFrame:
    """Undo :func:`frame_to_dataset`: one column per variable, in the stored order.

    A missing string is stored as ``""`` and reads back as missing (the validators treat blank
    cells as missing too).
    """
    cols = {}
    for name, var in ds.data_vars.items():
        values = var.values
        kind = var.attrs.get("skillfit_dtype")
        if kind == "bool":
            values = values.astype(bool)
        elif kind == "str":
            values = pd.array([None if v is None or v == "" else str(v) for v in values],
                              dtype="str")
        cols[str(name)] = values
    return pd.DataFrame(cols)


@contextmanager
def _open_saved(path: Path) -> Iterator[xr.DataTree]:
    """The saved run at ``path``, opened lazily; one-line errors for a missing or foreign file."""
    if not path.is_file():
        raise SkillfitError(f"no such model file: {path}")
    try:
        tree = xr.open_datatree(path, engine="h5netcdf")
    except (OSError, ValueError) as exc:
        raise DifferentModelError(
            f"{path} is not a netCDF file saved by skillfit ({type(exc).__name__})"
        ) from None
    with tree:
        yield tree


def saved_attrs(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Root attributes of a saved run (``model_type``, ``version``, ...), reading only them.

    Raises
    ------
    SkillfitError
        If ``path`` does not exist.
    DifferentModelError
        If it is not a netCDF file.

    Examples
    --------
    >>> saved_attrs("no/such/file.nc")
    Traceback (most recent call last):
    ...
    skillfit.errors.SkillfitError: no such model file: no/such/file.nc
    """
    with _open_saved(Path(path)) as tree:
        return dict(tree.attrs)


def _json_attr(path: Path, attrs: Mapping[str, Any], name: str) -> dict[str, Any]:
    """Root attribute ``name`` parsed as a JSON object; DifferentModelError naming it if not."""
    if name not in attrs:
        raise DifferentModelError(f"{path}: the saved run has no {name!r} attribute; refit")
    try:
        value = json.loads(attrs[name])
    except (TypeError, ValueError):
        raise DifferentModelError(
            f"{path}: attribute {name!r} is not valid JSON (the file is damaged); refit"
        ) from None
    if not isinstance(value, dict):
        raise DifferentModelError(
            f"{path}: attribute {name!r} must be a JSON object, got {type(value).__name__}; refit"
        )
    return value


class ModelIO:
    """Mixin: identity, file attributes, netCDF :meth:`~ModelIO.save` and :meth:`~ModelIO.load` of a fitted model.

    The host class (:class:`~skillfit.models.base.ModelBuilder`) provides ``model_config``,
    ``sampler_config``, ``idata``, ``_idata``, ``_data`` and ``build_model``.

    Attributes
    ----------
    version : str
        The model version, part of :attr:`id` and stored in every saved file. Bump it (``"1"``
        -> ``"2"``) whenever a change to the class makes an old posterior mean something else
        or no longer fit the graph: a variable renamed, added or removed, a prior's meaning or a
        parametrisation changed, the likelihood changed, or a ``model_config`` key renamed.
        Leave it alone for changes that keep old files valid (speed, docs, new optional
        outputs). :meth:`load` refuses files of another version unless ``check=False``.
    """

    #: Registered model type, stored as the file attribute ``model_type``.
    _model_type: ClassVar[str] = "base"
    #: Model version: bump when the model graph changes (see the class docstring).
    version: ClassVar[str] = "1"

    model_config: dict[str, Any]
    sampler_config: dict[str, Any]
    _idata: xr.DataTree | None
    _data: pd.DataFrame | None

    @property
    def id(self) -> str:
        """16 hex digits of SHA-256 over model type, model :attr:`version` and ``model_config``.

        The package version is not part of it, so a saved run still loads after an upgrade
        of skillfit that leaves the model alone.
        """
        text = "\n".join([self._model_type, str(self.version),
                          json.dumps(jsonable(self.model_config), sort_keys=True)])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def _file_attrs(self, random_seed: int, nuts_sampler: str) -> dict[str, Any]:
        """Root attributes stamped on a fresh fit (see the module docstring)."""
        return {
            "model_type": self._model_type,
            "version": str(self.version),
            "skillfit_version": __version__,
            "id": self.id,
            "model_config": json.dumps(jsonable(self.model_config), sort_keys=True),
            "sampler_config": json.dumps(jsonable(self.sampler_config), sort_keys=True),
            "random_seed": int(random_seed),
            "nuts_sampler": str(nuts_sampler),
            "data_sha256": data_sha256(self._data) if self._data is not None else "",
            "versions": json.dumps(versions(), sort_keys=True),
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the fitted ``DataTree`` (configuration, data and versions in it) to netCDF.

        The file is written next to ``path`` and moved onto it only when complete.

        Parameters
        ----------
        path : str or os.PathLike
            Target file (conventionally ``*.nc``).

        Returns
        -------
        pathlib.Path
            ``path``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from skillfit import datasets
        >>> from skillfit.models.scaling_law import ScalingLawModel
        >>> m = ScalingLawModel(sampler_config={"draws": 20, "tune": 20, "chains": 2})
        >>> _ = m.fit(datasets.load("chinchilla"), random_seed=1)
        >>> path = m.save(pathlib.Path(tempfile.mkdtemp()) / "fit.nc")
        >>> ScalingLawModel.load(path).id == m.id
        True
        """
        idata = self.idata  # type: ignore[attr-defined]
        target = Path(path)
        with atomic_path(target) as tmp:
            idata.to_netcdf(tmp, engine="h5netcdf")
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str], check: bool = True) -> Self:
        """Rebuild a fitted model from the file :meth:`save` wrote.

        Parameters
        ----------
        path : str or os.PathLike
            A file written by :meth:`save` of this class.
        check : bool, default True
            Refuse a file written by another model :attr:`version`, or whose stored id does not
            match its stored configuration. ``False`` loads such a file anyway (best effort:
            the posterior may not match the current model's variables).

        Returns
        -------
        ModelIO
            The model, built on the stored training data, with ``idata`` set.

        Raises
        ------
        SkillfitError
            If ``path`` does not exist.
        DifferentModelError
            If the file is not a skillfit model or holds another model type; if (with
            ``check``) its model version or id differs; or if one of its attributes or its
            ``fit_data`` group is damaged. Each message is one line naming the file.

        Examples
        --------
        >>> from skillfit.models.scaling_law import ScalingLawModel
        >>> ScalingLawModel.load("no/such/file.nc")
        Traceback (most recent call last):
        ...
        skillfit.errors.SkillfitError: no such model file: no/such/file.nc
        """
        from skillfit.models.base import check_seed

        path = Path(path)
        with _open_saved(path) as tree:
            try:
                idata = tree.load().copy()
            except (OSError, ValueError) as exc:
                raise DifferentModelError(
                    f"{path}: cannot read the saved run ({type(exc).__name__}: {exc})"
                ) from None
        attrs = idata.attrs
        if "model_type" not in attrs or "id" not in attrs or "fit_data" not in idata:
            raise DifferentModelError(
                f"{path} was not saved by a skillfit model (no model_type/id attributes or "
                "fit_data group)"
            )
        if attrs["model_type"] != cls._model_type:
            raise DifferentModelError(
                f"{path} holds a {attrs['model_type']!r} model, not {cls._model_type!r}; "
                f"load it with the matching class"
            )
        stored_version = str(attrs.get("version", "unknown"))
        written_by = f"skillfit {attrs.get('skillfit_version', 'unknown')}"
        if check and stored_version != str(cls.version):
            raise DifferentModelError(
                f"{path} was written by {cls._model_type} model version {stored_version} "
                f"({written_by}); this skillfit ({__version__}) reads version {cls.version}: "
                f"refit, or load with check=False to try anyway"
            )
        model_config = _json_attr(path, attrs, "model_config")
        sampler_config = _json_attr(path, attrs, "sampler_config")
        try:
            check_seed(attrs.get("random_seed"), "attribute 'random_seed'")
        except SkillfitError as exc:
            raise DifferentModelError(f"{path}: {exc}; refit") from None
        try:
            model = cls(model_config=model_config,  # type: ignore[call-arg]
                        sampler_config=sampler_config)
        except SkillfitError as exc:
            raise DifferentModelError(
                f"{path}: attribute 'model_config' or 'sampler_config' is not valid for "
                f"{cls.__name__}: {exc}"
            ) from None
        if check and model.id != attrs["id"]:
            raise DifferentModelError(
                f"{path} does not match its configuration: stored id {attrs['id']} != "
                f"{model.id} rebuilt from attribute 'model_config' (the file was edited or "
                f"damaged); refit, or load with check=False to try anyway"
            )
        try:
            model.build_model(dataset_to_frame(idata["fit_data"].to_dataset()))  # type: ignore[attr-defined]
        except SkillfitError as exc:
            raise DifferentModelError(f"{path}: group 'fit_data' is not valid: {exc}") from None
        model._idata = idata
        return model
