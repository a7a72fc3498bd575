"""Development only: the embedded servers, the `swiftpaste dev` supervisor and the seed data."""
