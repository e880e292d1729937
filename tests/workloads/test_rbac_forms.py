"""The RBAC create forms' rows on their own (workloads/forms_rbac.py): what a
rule and a subject row make, and what they refuse, without a cluster."""

from workloads.forms_rbac import ClusterRuleForm, RuleForm, SubjectForm


def cleaned(form_class, data, **kwargs):
    form = form_class(data, **kwargs)
    form.is_valid()
    return form


def test_it_makes_a_rule_with_each_verb_once():
    form = cleaned(
        RuleForm, {"api_groups": "apps, batch", "resources": "jobs", "verbs": ["get"], "other_verbs": "get watch watch"}
    )
    assert form.rule() == {"apiGroups": ["apps", "batch"], "resources": ["jobs"], "verbs": ["get", "watch"]}


def test_it_refuses_what_rbac_would_not_act_on():
    typo = cleaned(RuleForm, {"resources": "pods", "other_verbs": "lsit"})
    assert "Unknown verbs: lsit" in typo.errors["other_verbs"][0]
    both = cleaned(ClusterRuleForm, {"resources": "pods", "non_resource_urls": "/healthz", "verbs": ["get"]})
    assert "not both" in both.errors["non_resource_urls"][0]
    # "list" is a resource verb: a non-resource URL is asked with HTTP verbs.
    url_verb = cleaned(ClusterRuleForm, {"non_resource_urls": "/metrics", "verbs": ["list"]})
    assert "Unknown verbs: list" in url_verb.errors["verbs"][0]
    assert cleaned(ClusterRuleForm, {"non_resource_urls": "/metrics", "other_verbs": "get"}).rule() == {
        "nonResourceURLs": ["/metrics"],
        "verbs": ["get"],
    }
    assert cleaned(RuleForm, {}).is_blank()


def test_a_team_subject_is_its_role_groups():
    teams = [("team-a", "Team A")]
    every = cleaned(SubjectForm, {"kind": "Team", "team": "team-a"}, teams=teams, here="ns")
    assert [s["name"] for s in every.subjects()] == [
        f"portal:team:team-a:{role}" for role in ("owner", "maintainer", "developer", "viewer")
    ]
    one = cleaned(SubjectForm, {"kind": "Team", "team": "team-a", "team_role": "developer"}, teams=teams, here="ns")
    assert one.subjects() == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "portal:team:team-a:developer"}
    ]
    other = cleaned(SubjectForm, {"kind": "Team", "team": "team-b"}, teams=teams, here="ns")
    assert "team" in other.errors
    robot = cleaned(SubjectForm, {"kind": "ServiceAccount", "name": "robot"}, teams=teams, here="ns")
    assert robot.subjects() == [{"kind": "ServiceAccount", "name": "robot", "namespace": "ns"}]
    cluster_wide = cleaned(SubjectForm, {"kind": "ServiceAccount", "name": "robot"}, teams=teams)
    assert cluster_wide.errors["namespace"] == ["A ServiceAccount is named with its namespace."]


def test_the_verbs_are_shown_as_the_apis_words_in_every_language():
    from django.template import Context, Template
    from django.utils import translation

    with translation.override("zh-hans"):
        html = Template("{% include 'generic/_form_field.html' %}").render(
            Context({"field": RuleForm()["other_verbs"]})
        )
        boxes = str(RuleForm()["verbs"])
    # The help text is translated around the verbs, which stay code.
    assert "<code>bind escalate impersonate</code>" in html and "例如" in html
    assert '<span translate="no">deletecollection</span>' in boxes
