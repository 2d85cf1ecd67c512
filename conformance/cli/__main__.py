"""``python -m orbitcert.conformance.cli``: the same as the ``orbitcert`` command."""

from . import main

main()
