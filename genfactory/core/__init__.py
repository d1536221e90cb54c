"""The core: commands on jobs, the in-process event bus and exact-resume streams."""
