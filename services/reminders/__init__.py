"""Reminders (nhắc việc): who is reminded of what on a day (rules), creating each reminder exactly
once and e-mailing the daily digest (job, mail), and a user's own reminders in the app (inbox)."""
