"""Who did what, and proof that the record of it was not changed afterwards."""
