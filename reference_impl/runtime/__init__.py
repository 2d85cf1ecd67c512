"""Reference on-board compute runtime of ``sw-compute-runtime`` (issue 11, in progress): the ECSS
PUS-C packet layer (:mod:`.pus`)."""
