"""One record's path: the log event schema, event type names, pseudonyms, schema drift."""
