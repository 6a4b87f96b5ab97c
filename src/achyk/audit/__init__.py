"""Risk-limiting audits and the reconciliation of scanner and hand counts: pure statistics, no I/O.

- :mod:`.sampling` — Rivest's consistent sampler (SHA-256), the public seed's only use;
- :mod:`.polling` — BRAVO ballot polling (Lindeman, Stark, Yates 2012) for presidential contests;
- :mod:`.comparison` — Stark's super-simple ballot-level comparison and the Kaplan–Markov risk;
- :mod:`.assertions` — the assertions that imply a party-list seat allocation (Blom et al. 2021);
- :mod:`.batch` — batch comparison with the station as the batch, measured by ALPHA;
- :mod:`.reconcile` — the scanner count against the hand count, station by station.
"""
