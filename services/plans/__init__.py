"""Plans as printed: importing a task appendix (Word/Excel tables), the agency directory with aliases and
groups, deadline and status parsing, the demo plan and synthetic provinces."""
