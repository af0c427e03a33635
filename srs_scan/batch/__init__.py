"""Many pages, kept and written: the process pool (`pipeline`), the results store (`store`),
the hot folder (`watch`) and the CSV/JSON writers (`export`)."""
