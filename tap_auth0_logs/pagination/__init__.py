"""Where a run starts and how it walks: log ids, start points, retention, pages, backfill."""
