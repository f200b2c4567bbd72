"""The Singer seam: the tap, its streams, settings, input files, output, and the SDK fence."""
