"""Workers: claim jobs from the store, hold a lease, run a provider, store the images."""
