"""`python -m safedesk`: the same command as `safedesk`."""

from safedesk.cli.main import main

if __name__ == "__main__":
    main()
