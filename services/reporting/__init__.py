"""What the province reads: reporting periods, rollups as of any day, the overview and overdue board.
The period's report files (Word, Excel) are services.publication's."""
