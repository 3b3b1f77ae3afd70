"""What the province reads: reporting periods, rollups as of any day, the overview and overdue board,
and the Excel report."""
