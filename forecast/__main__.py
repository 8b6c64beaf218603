"""`python -m forecast`: the command line (forecast.cli)."""

from forecast.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
