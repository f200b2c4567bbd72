"""The request path: one Management API request, from token and pacing to a read answer."""
