"""Publishing a period: what the report says (content), the Word and Excel files that carry it, and
closing a period so that its published figures stay the official ones (closing)."""
