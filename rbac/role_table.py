"""What each team role may do, as one table built from the rules the code
enforces: the role sets the API's permission classes, the pages and the
workload services check (rbac.choices, portal.permissions) and the
Kubernetes ClusterRole each role is bound to (rbac.team_roles).

Used in three places, so they cannot disagree: `manage.py role_table` prints
it (docs/api-quickstart.md holds that output; a test compares the two), and
the API's description (SPECTACULAR_SETTINGS) carries it. It is built when
settings are read, before translations can be: its texts are marked for
translation (gettext_noop) and a page passes `translate=gettext` to show them
in the reader's language.
"""

from django.utils.translation import gettext_noop

from portal.permissions import MANAGERS, OWNER_ONLY
from portal.roles import EDITING_ROLES, TeamRole
from rbac.team_roles import ROLE_CLUSTERROLES, SOURCES

EVERY_ROLE = tuple(TeamRole)

# (what, the roles allowed): each role set is the one the code checks.
RULES = [
    (gettext_noop("See the team, its members, namespaces, quotas and workloads"), EVERY_ROLE),
    (gettext_noop("Download a kubeconfig for the team's namespaces"), EVERY_ROLE),
    (gettext_noop("Create, change and delete workloads in the team's namespaces"), EDITING_ROLES),
    (gettext_noop("Request namespaces; change, delete and reconcile them; ask for quota changes"), MANAGERS),
    (gettext_noop("Change the team's settings and its members"), OWNER_ONLY),
]

YES, NO = gettext_noop("yes"), gettext_noop("no")


def _as_is(text: str) -> str:
    return text


def role_rows(translate=_as_is) -> list[list[str]]:
    """The table as rows of cells, the header first."""
    header = [translate(gettext_noop("What")), *(translate(role.name.title()) for role in TeamRole)]
    rows = [
        [translate(what), *(translate(YES) if role in allowed else translate(NO) for role in TeamRole)]
        for what, allowed in RULES
    ]
    rows.append(
        [
            translate(gettext_noop("Kubernetes ClusterRole in the team's namespaces")),
            *(
                translate(gettext_noop("`%(role)s` (`%(source)s` minus impersonation)"))
                % {"role": ROLE_CLUSTERROLES[role], "source": SOURCES[ROLE_CLUSTERROLES[role]]}
                for role in TeamRole
            ),
        ]
    )
    return [header, *rows]


PLATFORM_ADMINS = gettext_noop(
    "Platform admins may do all of this in every team, and approve namespace requests and quota changes."
)


def role_table_markdown() -> str:
    rows = role_rows()
    lines = [_row(rows[0]), _row(["---"] * len(rows[0])), *(_row(row) for row in rows[1:])]
    lines += [
        "",
        PLATFORM_ADMINS,
    ]
    return "\n".join(lines) + "\n"


def code_spans(text: str) -> list[tuple[str, bool]]:
    """A cell as (text, is code) parts: the markdown's `spans` become <code> on a page."""
    return [(part, index % 2 == 1) for index, part in enumerate(text.split("`")) if part]


def _row(cells) -> str:
    return "| " + " | ".join(cells) + " |"
