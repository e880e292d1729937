"""Container logs of Pods and Jobs."""
