"""StatefulSets' and DaemonSets' revisions (ControllerRevisions), update strategy, their pods and claims."""
