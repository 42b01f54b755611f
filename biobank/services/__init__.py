"""Business rules and state changes. Services take the session and the acting user explicitly,
flush but never commit, and import nothing from flask."""
