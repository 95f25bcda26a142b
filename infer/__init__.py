"""threat-tagger runtime: load a trained model and tag texts (light imports only)."""
