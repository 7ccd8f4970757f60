"""Analyses: canonical tables (Ibis or pandas) + plan in, tidy table out. No I/O, no printing."""
