"""Bayesian models (PyMC 6, ArviZ 1) of scaling laws and Skill-Mix competence."""
