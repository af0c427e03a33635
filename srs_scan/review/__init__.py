"""A person's decisions, audited: the queue and audit trail (`decisions`) and the local web page (`web`)."""
