"""NLU components of the project, loaded by config.yml's pipeline."""
