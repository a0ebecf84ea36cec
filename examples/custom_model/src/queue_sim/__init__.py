"""queue_sim: a serverless-sweep plug-in model (entry point `serverless_sweep.models`)."""
