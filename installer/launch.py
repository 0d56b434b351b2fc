"""PyInstaller entry script of both executables of the bundle: `zizhu-gui` and `zizhu`.

One analysis and one module archive serve both: the executable's own name picks the entry point
(`zizhu` → the command line app.cli, anything else → the desktop client app.ui.main). On Linux
`zizhu` is a symbolic link to `zizhu-gui`, so the archive is stored once; on Windows the command
line needs its own console executable, built from the same archive.
"""

import sys
from pathlib import Path

CLI_NAME = "zizhu"


def _entry() -> int:
    if Path(sys.argv[0]).stem.lower() == CLI_NAME:
        from app.cli import main as cli_main

        return cli_main()
    from app.ui.main import main as gui_main

    return gui_main()


if __name__ == "__main__":
    sys.exit(_entry())
