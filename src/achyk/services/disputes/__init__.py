"""Complaints and disputes as use cases: filing with evidence, the signed steps of handling, the docket."""
