"""Analysis: from runs (or a function to run) to frozen results: sensitivity, calibration."""
