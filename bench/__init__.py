"""`make bench`: wsgen measured against Chalice and against the machine's ceiling, in one run."""
