"""Only the optional C extension lives here; everything else is in pyproject.toml.

The bulk infix parser (exprc/population/_cparse.c) is optional: where no C compiler is
available the install still succeeds and the numpy path parses texts instead."""
from setuptools import Extension, setup

setup(ext_modules=[Extension("exprc.population._cparse", sources=["exprc/population/_cparse.c"],
                             extra_compile_args=["-O2"], optional=True)])
