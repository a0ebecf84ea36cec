"""What the terminal commands (`sweep run`, `redrive`, `status`, `results`, `query`,
`verify`) share, one concern per module: exit codes, argument types, the --store option,
"is a local process still working on this run?" markers, SIGTERM handling, the progress bar,
the text reports, tables and CSV/JSON output, the ranking of a run's points, and the
commands suggested to the user.
"""
