#!/usr/bin/env python
"""Django's manage.py, for habit; `warmline` is the same command."""

from warmline.cli import main

if __name__ == "__main__":
    main()
