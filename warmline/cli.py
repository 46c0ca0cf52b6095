"""The `warmline` command: Django's management commands under one name.

`warmline demo`, `warmline serve`, `warmline worker`, `warmline import`, `warmline export`
and `warmline bench` are management commands of the Warmline apps; everything else
(`warmline migrate`, `warmline createsuperuser`, ...) is Django's own.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warmline.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["warmline", *argv])
    if len(args) == 1:
        args.append("help")
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
