"""The book machine: execute chapters into results files (run), the claims ledger as a command (ledger),
results files (results), seed sweeps and their stability (sweep, stability), the reproducibility report and
the static site (run)."""
