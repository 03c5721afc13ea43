"""Methodology: simulations that drive the reference subjects through the analyzer.

* :mod:`.power`: the epochs a study needs (``bep power``), analytically;
* :mod:`.calibration`: the verdicts' error rates by simulation (``bep calibrate``), built from
  :mod:`.scenarios` (the simulated subjects), :mod:`.replication` (one simulated and analysed
  study, run in the worker pool of :mod:`beyond_episode.pool`), :mod:`.checks` (rates and the
  acceptance checks) and :mod:`.calibration_report` (``calibration.md`` and its tables);
* :mod:`.sequential_calibration`: the same for the sequential design.

The analyzer (:mod:`beyond_episode.analysis`) knows no subject; this package imports both.
Nothing is imported here, so that ``bep power`` does not load the simulator.
"""
