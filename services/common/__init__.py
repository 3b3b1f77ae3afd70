"""Small helpers shared by every capability: the clock, text folding, browser-input hygiene, Vietnamese
formatting and shared reads, save outcomes, and the schema (Alembic) entry point."""
