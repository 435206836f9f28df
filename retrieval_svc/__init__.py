"""retrieval_svc: tool examples and reference documents in Qdrant, over gRPC."""
