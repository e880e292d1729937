from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jobs import selectors
from jobs.choices import StepStatus
from jobs.models import Job, JobEvent, JobStep
from portal.serializers import SlugRelatedField

DISPLAY_HELP = "In the language of the request (Accept-Language or the user's choice); `%s` keeps the stored English."


def _display(field: str):
    return serializers.CharField(read_only=True, help_text=DISPLAY_HELP % field)


class JobStepSerializer(serializers.ModelSerializer):
    title_display = _display("title")
    message_display = _display("message")

    class Meta:
        model = JobStep
        fields = [
            "position",
            "name",
            "title",
            "host",
            "status",
            "exit_status",
            "attempts",
            "started",
            "finished",
            "message",
            "title_display",
            "message_display",
        ]


def _seconds(delta) -> float | None:
    return None if delta is None else round(delta.total_seconds(), 3)


class CurrentStepSerializer(serializers.Serializer):
    """A (step, host) pair running now."""

    position = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()
    title_display = _display("title")
    host = serializers.CharField(help_text="Blank: the portal's own work, on no host.")
    started = serializers.DateTimeField(allow_null=True)
    running_seconds = serializers.SerializerMethodField(help_text="How long it has been running.")

    def get_running_seconds(self, step) -> float | None:
        return _seconds(step.elapsed)


class _CountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="(step, host) pairs.")
    done = serializers.IntegerField(help_text="Pairs that succeeded or were skipped (nothing to do).")
    failed = serializers.IntegerField()
    running = serializers.IntegerField()
    canceled = serializers.IntegerField()
    pending = serializers.IntegerField()
    percent = serializers.IntegerField(help_text="done / total, in percent.")


class HostProgressSerializer(_CountsSerializer):
    host = serializers.CharField(help_text="Blank: the portal's own steps.")
    # A plain string: the step states' enum is already in the schema under `status`.
    state = serializers.CharField(
        help_text=f"The host at a glance, one of the step states: {', '.join(StepStatus.values)}."
    )
    current = CurrentStepSerializer(allow_null=True)


class JobProgressSerializer(_CountsSerializer):
    elapsed_seconds = serializers.SerializerMethodField(
        help_text="Since the job started: until it finished, or until now while it runs."
    )
    hosts = HostProgressSerializer(many=True)
    current = CurrentStepSerializer(many=True, help_text="Every pair running now.")

    def get_elapsed_seconds(self, progress) -> float | None:
        return _seconds(progress.elapsed)


class JobSerializer(serializers.ModelSerializer):
    team = SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    cluster = SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    host = SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    created_by = SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    steps = JobStepSerializer(many=True, read_only=True)
    progress = serializers.SerializerMethodField()
    title_display = _display("title")
    message_display = _display("message")

    @extend_schema_field(JobProgressSerializer)
    def get_progress(self, job):
        # From the steps the viewset prefetched: no query per job or step.
        return JobProgressSerializer(selectors.job_progress(job)).data

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "title",
            "status",
            "team",
            "cluster",
            "host",
            "created_by",
            "resumed_from",
            "created",
            "started",
            "finished",
            "cancel_requested",
            "message",
            "last_counter",
            "steps",
            "progress",
            "title_display",
            "message_display",
        ]
        read_only_fields = fields


class JobEventSerializer(serializers.ModelSerializer):
    step = SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    text_display = _display("text")

    class Meta:
        model = JobEvent
        fields = ["counter", "step", "host", "stream", "text", "text_display", "created"]
        read_only_fields = fields
