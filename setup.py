"""Build followup. Metadata lives in pyproject.toml; this file only compiles the rules core with
mypyc (``followup.native`` says which modules and how a stale build is avoided).

With FOLLOWUP_PURE_PYTHON=1 at install time nothing is compiled. If compiling fails (no C
compiler, say), the install goes on in pure Python, which gives the same answers more slowly.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
PACKAGE_DIR = HERE / "src" / "followup"
native = runpy.run_path(str(PACKAGE_DIR / "native.py"))
DIGESTS = PACKAGE_DIR / native["DIGESTS_FILE"]


def warn(message: str) -> None:
    print(f"followup: {message}; the rules core stays pure Python (slower)", file=sys.stderr)


# Only these commands build extensions; pip also runs this file just for the metadata.
BUILDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "develop", "install"}


def compiled_extensions() -> list:
    if not BUILDS.intersection(sys.argv[1:]):
        return []
    DIGESTS.unlink(missing_ok=True)
    if os.environ.get(native["PURE_ENV"]) == "1":
        return []
    try:
        from mypyc.build import mypycify

        sources = [str(native["source_path"](m, PACKAGE_DIR).relative_to(HERE))
                   for m in native["COMPILED"]]  # fmt: skip
        options = ["--ignore-missing-imports", "--disable-error-code=import-untyped"]
        extensions = mypycify([*options, *sources], opt_level="3")
    except (Exception, SystemExit) as error:  # mypyc missing, or the sources do not type-check
        warn(f"mypyc could not compile ({type(error).__name__})")
        return []
    DIGESTS.write_text(json.dumps(native["source_digests"](PACKAGE_DIR), indent=1) + "\n")
    return extensions


class OptionalBuildExt(build_ext):
    """Compile if the machine can. If anything fails, remove whatever was built (a partial build
    must never be imported) and leave the pure-Python modules in place."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:  # no compiler, missing headers
            for ext in self.extensions:
                built = self.get_ext_filename(ext.name)
                for root in (Path(self.build_lib), HERE / "src"):
                    (root / built).unlink(missing_ok=True)
            for digests in (DIGESTS, Path(self.build_lib) / "followup" / DIGESTS.name):
                digests.unlink(missing_ok=True)
            warn(f"compiling failed ({type(error).__name__})")


setup(ext_modules=compiled_extensions(), cmdclass={"build_ext": OptionalBuildExt})
