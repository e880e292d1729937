"""The shared kernel: teams and roles (teams.py, roles.py), encryption, the
audit trail, errors, permissions, scoping and the generic views every app
builds on. It imports no other app of the project."""
