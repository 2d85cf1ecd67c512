"""Build of the optional C extension only; all package metadata lives in pyproject.toml.

``orbitcert.reference_impl.optical._kernels`` holds the compiled CCSDS 131.0-B-3 coding kernels
(reference_impl/optical/_kernels.c, runtime CPU dispatch inside). It is optional: where no C compiler
works, the build warns and the package installs without it (the numpy kernels then run; see
reference_impl/optical/kernels.py).
"""

from __future__ import annotations

import sys
from typing import Any

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """build_ext that turns any failure to compile the optional kernels into a warning."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - compiler missing or broken: fall back to numpy
            self._warn(exc)

    def build_extension(self, ext: Any) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            self._warn(exc)

    @staticmethod
    def _warn(exc: BaseException) -> None:
        print(
            f"WARNING: the optional C coding kernels were not built ({exc}); orbitcert will use the numpy kernels",
            file=sys.stderr,
        )


setup(
    ext_modules=[
        Extension(
            "orbitcert.reference_impl.optical._kernels",
            ["reference_impl/optical/_kernels.c"],
            optional=True,
            extra_compile_args=["-O3", "-std=c11", "-fno-strict-aliasing"],
        )
    ],
    cmdclass={"build_ext": OptionalBuildExt},
)
