"""Bringing up a cluster on registered hosts with kubeadm: the spec an admin
gives (spec.py), the kubeadm configuration files (kubeadm_config.py), and the
plan of steps and commands per host (plan.py), which the bootstrap job runs
and anyone can read before it does."""
