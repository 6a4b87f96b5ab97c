"""Remote (internet) voting services: key ceremony, casting, closing and tally, simulation."""
