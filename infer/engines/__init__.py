"""Cluster engines for `score`: Dask (`dask_engine`) and Spark (`spark_engine`).

Importing this package imports neither library; each engine module imports its own.
"""
