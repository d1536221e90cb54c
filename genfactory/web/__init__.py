"""The web UI: server-rendered HTML shells and static ES modules (no build step)."""
