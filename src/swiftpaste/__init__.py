"""SwiftPaste: a self-hosted snippet service."""
