"""The job engine: kinds of work, their state machine, the runner and recovery."""
