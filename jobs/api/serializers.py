from rest_framework import serializers

from jobs.models import Job, JobEvent, JobStep


class JobStepSerializer(serializers.ModelSerializer):
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
        ]


class JobSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    cluster = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    host = serializers.SlugRelatedField(slug_field="name", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    steps = JobStepSerializer(many=True, read_only=True)

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
        ]
        read_only_fields = fields


class JobEventSerializer(serializers.ModelSerializer):
    step = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = JobEvent
        fields = ["counter", "step", "host", "stream", "text", "created"]
        read_only_fields = fields
