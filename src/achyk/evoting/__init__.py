"""Remote voting for citizens abroad: ceremony, credentials, ballots, tally and record verification."""
