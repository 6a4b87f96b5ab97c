"""The independent verifier: checks a public election record using only the pure core.

It never imports the store or the services, so it checks a record produced by anyone.
"""
