"""Jobs and CronJobs: suspend, resume, run now, next run times, history."""
