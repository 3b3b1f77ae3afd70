"""Weekly reporting (the province's weekly digital-transformation report, seed 000): agency
indicators entered per agency and period, province-level figures computed from their components,
the annex matrix of agencies × indicators, and the secretariat's notes of the report."""
