"""The domain: rules and queries in plain Python. No Dash or Flask imports here."""
