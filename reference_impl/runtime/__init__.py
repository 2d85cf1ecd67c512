"""Reference on-board compute runtime of ``sw-compute-runtime``.

* :mod:`.pus`: the ECSS PUS-C packet layer (TC and TM secondary headers, CDS time, CRC-16 packet
  error control), declared with construct, with struct fast paths checked against it;
* :mod:`.services`: the application-data layouts of every TC and TM of the profile;
* :mod:`.workloads`: the workloads (sha256, shake256-expand, matmul-u32) and the protection modes
  (ABFT, DMR, TMR);
* :mod:`.runtime`: :class:`~.runtime.ComputeRuntime`, the simulated runtime (journal, scheduler,
  housekeeping, events, verification);
* :mod:`.iut`: the product ``orbitcert certify`` uses (``create``).
"""
