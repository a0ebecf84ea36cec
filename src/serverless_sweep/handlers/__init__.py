"""Parent, child and status handlers: thin orchestration over core, models and small ports."""
