"""The domain: job states, transitions, errors and events. No I/O lives here."""
