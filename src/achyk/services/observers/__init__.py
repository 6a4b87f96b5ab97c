"""Observer missions' use cases: accreditation, registration, the plan, submissions, publication."""
