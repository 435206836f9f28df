"""LLM backends behind one interface (base.py), chosen by INFERENCE_BACKEND."""
