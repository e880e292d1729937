"""The job engine: Job, steps, events, the runner and recovery.

Job kinds live with the app they serve and register with `jobs.registry`.
"""
