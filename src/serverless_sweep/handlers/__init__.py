"""Parent, child and status handlers: thin orchestration over the core, the models and small ports."""
