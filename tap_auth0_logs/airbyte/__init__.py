"""`source-auth0-logs`: the tap as an Airbyte source."""
