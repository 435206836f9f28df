"""trainer_svc: LoRA / QLoRA training jobs, the adapter store and the evening loop."""
