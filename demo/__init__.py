"""The README's main job: extract logs with the tap and load them into an embedded local store."""
