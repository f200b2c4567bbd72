"""tap-auth0-logs: a Singer tap for Auth0 tenant log events."""
