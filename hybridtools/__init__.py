"""hybridtools: what the retrieval, inference and trainer services share.

The generated gRPC stubs live in the versioned packages beside this file
(`hybridtools.retrieval.v1`, ...); `hybridtools.core` holds the server
scaffold, settings and logging; the domain modules shared by more than one
service (ecosystem catalogs and data, the packaged models) sit beside them.
"""
