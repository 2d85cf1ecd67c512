"""Reference implementation of ``sec-link-security``: space data link security.

A profile of CCSDS 355.0-B-2 (SDLS) and 355.1-B-1 (SDLS extended procedures) with AES-256-GCM
and SM4-GCM, for TC (CCSDS 232.0-B-4) and USLP (CCSDS 732.1-B-2) frames, plus secure boot.
One module per concern:

* :mod:`.errors` - the one documented error family (:class:`SecurityError`, a ``ValueError``).
* :mod:`.crypto` - AES-256-GCM, SM4-GCM (RFC 8998), GMAC, SM3, SHA-256 through ``cryptography``.
* :mod:`.keys` - the key store and the key states of 355.1-B-1 3.2.
* :mod:`.sa` - the SA model (355.0-B-2 2.3), SA provisioning files, the SA table, and the
  normative parameters read from the spec (:class:`SecurityParameters`).
* :mod:`.sdls` - ApplySecurity / ProcessSecurity (355.0-B-2 4.2), anti-replay, the frame
  security report, and :meth:`SdlsEngine.protect_batch`.
* :mod:`.procedures` - the extended procedures (355.1-B-1 3-6) in this profile's PDU format.
* :mod:`.boot` - secure boot (separate module).
* :mod:`.iut` - the test-interface object the harness drives (:func:`iut.create`).

The frame headers themselves are declared in :mod:`orbitcert.reference_impl.frames`.
See ``docs/architecture.md`` for where the reference sits in orbitcert.
"""
