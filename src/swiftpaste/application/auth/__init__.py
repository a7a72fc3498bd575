"""Account use cases: register, log in, refresh, log out, authenticate, update the profile."""
