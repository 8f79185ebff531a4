"""Sphinx configuration: the skillfit site (Markdown pages + API reference from docstrings).

Built by ``make docs`` with ``-W --keep-going`` (every warning is an error, all reported at once).
The build needs no network: intersphinx is off, so references to NumPy/pandas/PyMC types are
rendered as plain text rather than links.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # a source checkout documents itself, even if not installed

import skillfit  # noqa: E402

project = "skillfit"
author = "skillfit developers"
copyright = "skillfit developers"
release = skillfit.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]

# -- MyST (the hand-written Markdown pages) ----------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- autodoc / autosummary / numpydoc ----------------------------------------------------------
autosummary_generate = True
autosummary_ignore_module_all = False  # a module's __all__ is its public API
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autoclass_content = "class"
numpydoc_show_class_members = False  # autodoc documents the methods; no second summary table
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False  # would need intersphinx (network) to link external types

# -- HTML ---------------------------------------------------------------------------------------
try:
    import pydata_sphinx_theme  # noqa: F401
except ImportError:  # pragma: no cover - the docs extra installs it
    html_theme = "alabaster"
else:
    html_theme = "pydata_sphinx_theme"
    html_theme_options = {
        "navigation_with_keys": False,
        "show_toc_level": 2,
        "icon_links": [],
    }
html_title = f"skillfit {release}"
html_static_path: list[str] = []


# -- Re-exports ---------------------------------------------------------------------------------
# A package such as skillfit.data or skillfit.theory re-exports names defined in its submodules.
# Each object is documented once, where it is defined (its submodule page); the package page
# shows a summary table of its public names linking there, and documents in full only what the
# package defines itself. The module template (_templates/autosummary/module.rst) reads these.


def _home(obj: object, name: str, package: str) -> str | None:
    """Fully qualified name of the skillfit module defining ``obj`` if not ``package`` itself."""
    mod = getattr(obj, "__module__", None) if inspect.isclass(obj) or callable(obj) else None
    if isinstance(mod, str):
        return mod if mod != package and mod.split(".")[0] == "skillfit" else None
    # data (constants, tables): the submodule that lists it in __all__
    pkg = importlib.import_module(package)
    for info in pkgutil.iter_modules(getattr(pkg, "__path__", [])):
        sub = importlib.import_module(f"{package}.{info.name}")
        if name in getattr(sub, "__all__", []) and getattr(sub, name, None) is obj:
            return sub.__name__
    return None


def _reexports() -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    names = ["skillfit"] + [
        i.name for i in pkgutil.walk_packages(skillfit.__path__, "skillfit.")
        if not any(part.startswith("_") for part in i.name.split("."))
    ]
    for modname in names:
        try:
            pkg = importlib.import_module(modname)
        except Exception:  # noqa: BLE001 - autodoc reports the import error itself
            continue
        own, elsewhere = [], []
        for name in getattr(pkg, "__all__", []):
            obj = getattr(pkg, name, None)
            if inspect.ismodule(obj):  # a submodule in __all__: it has its own page
                elsewhere.append(obj.__name__.removeprefix(modname + "."))
                continue
            home = _home(obj, name, modname)
            if home is None:
                own.append(name)
            else:  # autosummary wants names below the current module written relative to it
                full = f"{home}.{name}"
                elsewhere.append(full.removeprefix(modname + "."))
        if elsewhere:
            out[modname] = {"own": own, "elsewhere": elsewhere}
    return out


def _submodules() -> tuple[dict[str, list[str]], dict[str, list[tuple[str, str]]]]:
    """Public submodules of each skillfit package: (normal, shadowed).

    autosummary lists only the submodules named in a package's ``__all__``, hence this list. A
    submodule is *shadowed* when the package binds its name to something else (``skillfit.data``
    re-exports the function ``validate`` of ``skillfit.data.validate``); autosummary would then
    document the function under the module's name, so those pages are written by
    :func:`_write_shadowed_pages` and linked with a plain toctree.
    """
    normal: dict[str, list[str]] = {}
    shadowed: dict[str, list[tuple[str, str]]] = {}
    for info in pkgutil.walk_packages(skillfit.__path__, "skillfit."):
        if info.ispkg and not any(p.startswith("_") for p in info.name.split(".")):
            pkg = importlib.import_module(info.name)
            for m in pkgutil.iter_modules(pkg.__path__):
                if m.name.startswith("_"):
                    continue
                sub = importlib.import_module(f"{info.name}.{m.name}")
                if getattr(pkg, m.name, sub) is sub:
                    normal.setdefault(info.name, []).append(m.name)
                else:
                    summary = (inspect.getdoc(sub) or "").strip().split("\n")[0]
                    shadowed.setdefault(info.name, []).append((m.name, summary))
    return normal, shadowed


_NORMAL, _SHADOWED = _submodules()
autosummary_context = {"reexports": _reexports(), "submodules": _NORMAL, "shadowed": _SHADOWED}


def _write_shadowed_pages(app) -> None:  # noqa: ANN001
    """Pages for shadowed submodules (see :func:`_submodules`), like the module template's."""
    out = Path(app.srcdir) / "api" / "generated"
    out.mkdir(parents=True, exist_ok=True)
    for package, subs in _SHADOWED.items():
        for name, _ in subs:
            fullname = f"{package}.{name}"
            mod = importlib.import_module(fullname)
            public = getattr(mod, "__all__", None) or [
                n for n, o in vars(mod).items()
                if not n.startswith("_") and getattr(o, "__module__", None) == fullname
            ]
            lines = [fullname, "=" * len(fullname), "", f".. automodule:: {fullname}", ""]
            if public:
                lines += ["   .. rubric:: Summary", "", "   .. autosummary::", ""]
                lines += [f"      {n}" for n in public]
            text = "\n".join(lines) + "\n"
            page = out / f"{fullname}.rst"
            if not page.exists() or page.read_text(encoding="utf-8") != text:
                page.write_text(text, encoding="utf-8")


# -- Cross-references ---------------------------------------------------------------------------
# ``-n`` (nitpicky) is on, so a reference to a skillfit object that does not exist fails the
# build. References to other libraries' objects (NumPy, pandas, PyMC, ...) cannot be linked
# without intersphinx, which would need the network, so they are not checked.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(?!skillfit\b)[A-Za-z_][\w]*(\.[\w]+)+"),  # dotted names outside skillfit
    (r"py:.*", r"(abc|os|sys|json|pathlib|typing|builtins|numpy|np|pd)"),  # bare stdlib/aliases
    (r"py:class", r"(ArrayLike|NDArray|DataFrame|Series|Figure|Axes|DataTree|Dataset|Path)"),
]


def _find(dotted: str) -> object | None:
    """The object named ``dotted`` (``pkg.mod.obj.attr``), or None."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:i]))
        except Exception:  # noqa: BLE001 - not a module: try a shorter prefix
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def _canonical(obj: object, dotted: str) -> str | None:
    """Where ``obj`` (reached as ``dotted``) is documented: the module that defines it."""
    obj = inspect.unwrap(obj) if callable(obj) else obj
    mod, qual = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if isinstance(mod, str) and isinstance(qual, str) and mod.startswith("skillfit"):
        return f"{mod}.{qual}"
    package, _, name = dotted.rpartition(".")
    if hasattr(sys.modules.get(package), "__path__"):  # a re-exported constant of a package
        home = _home(obj, name, package)
        return f"{home}.{name}" if home else None
    return None


def _resolve_reexport(app, env, node, contnode):  # noqa: ANN001, ANN202 - Sphinx event signature
    """Resolve ``skillfit.theory.min_beta`` (a re-export) to ``skillfit.theory.bounds.min_beta``,
    and a method inherited from a base class to the base class's documentation."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip(".~")
    module, cls = node.get("py:module"), node.get("py:class")
    candidates = [target]
    if module:
        candidates += [f"{module}.{cls}.{target}"] if cls else []
        candidates += [f"{module}.{target}"]
    domain = env.get_domain("py")
    for dotted in candidates:
        if not dotted.startswith("skillfit"):
            continue
        obj = _find(dotted)
        if obj is None:
            continue
        canonical = _canonical(obj, dotted)
        if canonical and canonical != dotted:
            for reftype in (node["reftype"], "obj"):
                found = domain.resolve_xref(
                    env, node["refdoc"], app.builder, reftype, canonical, node, contnode
                )
                if found is not None:
                    return found
    return None


def setup(app):  # noqa: ANN001, ANN201
    app.connect("missing-reference", _resolve_reexport)
    app.connect("builder-inited", _write_shadowed_pages)
