"""inference_svc: tool-aware prompting and generation over gRPC."""
