"""`python -m swiftpaste` runs the command line."""

from swiftpaste.main.cli import main

if __name__ == "__main__":
    main()
