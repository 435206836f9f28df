"""bench/claims: the seed's claims measured end to end over the services' gRPC APIs.

    python -m bench.claims                 the full run (see docs/claims.md for its duration)
    python -m bench.claims --reduced       a few requests per condition (what CI runs)
    python -m bench.claims.report          the report again from bench/results/claims.json

runner.py asks every request under seven conditions through a real system
(retrieval, inference and trainer as separate processes), metrics.py scores
the answers, analysis.py checks the targets and the claims, report.py writes
docs/claims.md and its plots from the results JSON alone.
"""
