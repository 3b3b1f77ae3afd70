"""Flask-side plumbing: login, the request guard, the database per app, the command line."""
