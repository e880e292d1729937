"""What each team role may do, as one table built from the rules the code
enforces: the role sets the API's permission classes, the pages and the
workload services check (rbac.choices, portal.permissions) and the
Kubernetes ClusterRole each role is bound to (rbac.team_roles).

Used in three places, so they cannot disagree: `manage.py role_table` prints
it (docs/api-quickstart.md holds that output; a test compares the two), and
the API's description (SPECTACULAR_SETTINGS) carries it. It is built when
settings are read, before translations can be: plain English, no lazy text.
"""

from portal.permissions import MANAGERS, OWNER_ONLY
from rbac.choices import EDITING_ROLES, TeamRole
from rbac.team_roles import ROLE_CLUSTERROLES, SOURCES

EVERY_ROLE = tuple(TeamRole)

# (what, the roles allowed): each role set is the one the code checks.
RULES = [
    ("See the team, its members, namespaces, quotas and workloads", EVERY_ROLE),
    ("Download a kubeconfig for the team's namespaces", EVERY_ROLE),
    ("Create, change and delete workloads in the team's namespaces", EDITING_ROLES),
    ("Request namespaces; change, delete and reconcile them; ask for quota changes", MANAGERS),
    ("Change the team's settings and its members", OWNER_ONLY),
]

YES, NO = "yes", "no"


def role_rows() -> list[list[str]]:
    """The table as rows of cells, the header first."""
    header = ["What", *(role.name.title() for role in TeamRole)]
    rows = [[what, *(YES if role in allowed else NO for role in TeamRole)] for what, allowed in RULES]
    rows.append(
        [
            "Kubernetes ClusterRole in the team's namespaces",
            *(
                f"`{ROLE_CLUSTERROLES[role]}` (`{SOURCES[ROLE_CLUSTERROLES[role]]}` minus impersonation)"
                for role in TeamRole
            ),
        ]
    )
    return [header, *rows]


def role_table_markdown() -> str:
    rows = role_rows()
    lines = [_row(rows[0]), _row(["---"] * len(rows[0])), *(_row(row) for row in rows[1:])]
    lines += [
        "",
        "Platform admins may do all of this in every team, and approve namespace requests and quota changes.",
    ]
    return "\n".join(lines) + "\n"


def _row(cells) -> str:
    return "| " + " | ".join(cells) + " |"
