"""Bayesian models (PyMC 6, ArviZ 1) of scaling laws and Skill-Mix competence.

- :class:`ScalingLawModel` — a Bayesian Chinchilla law ``L(N, D) = E + A N^-a + B D^-b``;
- :class:`SkillGraphModel` — the joint model of LLM losses and Skill-Mix scores through the
  skill graph (links: :data:`LINKS`);
- :class:`ModelBuilder` — their shared base (configuration, sampling, diagnostics, save/load);
- :func:`load_model` — reload any saved model file.

Examples
--------
>>> from skillfit.models import SkillGraphModel
>>> SkillGraphModel({"link": "logistic"}).link
'logistic'
"""

from skillfit.models.base import ModelBuilder
from skillfit.models.links import LINKS
from skillfit.models.scaling_law import ScalingLawModel
from skillfit.models.skill_graph import SkillGraphModel
from skillfit.specs import load_model

__all__ = ["LINKS", "ModelBuilder", "ScalingLawModel", "SkillGraphModel", "load_model"]
