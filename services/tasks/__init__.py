"""An agency's tasks: the workspace reads, the update form's rules, the change history and the periodic
report submissions."""
