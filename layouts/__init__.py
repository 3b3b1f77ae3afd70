"""Page layouts: functions that build components from plain data. No database access here."""
