"""The Singer seam: the tap, its streams, settings, STATE, input files, output, the SDK fence."""
