"""pytest plugin: fixtures and ready-made tests for a project's migrations."""
