"""Helpers shared by the test files: test databases (`databases`) and the `ctg` command (`cli`)."""
