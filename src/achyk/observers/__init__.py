"""Observer missions: accredited by the CEC, their observers registered by the mission, deployed by
a seeded draw, their observations and protocol copies signed by each observer and logged.

Pure core: the shapes and entries (`model`), the stratified deployment draw (`deployment`), the
forms as data with their quality checks (`forms`), the parallel vote tabulation (`pvt`), and the
fold of the observer entries of a log (`fold`) that the server applies before logging and
`achyk verify` applies again to the published record.
"""
