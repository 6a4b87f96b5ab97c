"""Election forensics: the published statistical screens, on numpy arrays of station figures.

Pure core: no database, web or CLI. Every method takes a `Stations` table (one row per station) and
returns frozen results; the faces render them and link each flagged station to its evidence.
None of these screens proves fraud; each one says how unusual a shape is against a stated null.
"""
