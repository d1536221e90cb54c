"""The HTTP API: routes per resource and the three streaming transports."""
