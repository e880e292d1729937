"""Deployments' rollouts: set image, pause, resume, restart, status, history from ReplicaSets, rollback."""
