"""Targets (Phụ lục 01): the plan-versus-actual rules, standings as of a day, entering values and
importing target tables."""
