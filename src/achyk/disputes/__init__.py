"""Complaints and disputes: filed with evidence, decided on the record, on the statutory clock.

Pure core: the shapes of complaints and their steps (`model`), the law's deadlines per jurisdiction
(`rules`), and the fold that judges each step against the complaint's history and the competent
body (`lifecycle`) — the same fold the server applies before logging a step and `achyk verify`
applies to the published log.
"""
