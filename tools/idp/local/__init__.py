"""The local run: an embedded AWS (moto) with the real handlers, and the doubles for what moto lacks."""
