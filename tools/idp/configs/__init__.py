"""Document-type configs: load, validate, convert to BDA blueprints, publish per environment."""
