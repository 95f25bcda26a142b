"""threat-tagger factory: corpora, converters, splits, training, evaluation, benchmarks."""
