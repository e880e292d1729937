"""Serializer bases shared by the apps."""

from rest_framework import serializers


class ServiceModelSerializer(serializers.ModelSerializer):
    """A model serializer whose writes go through the app's services.

    Subclasses implement `create_with_service(data)` and
    `update_with_service(instance, data)`; the services validate the model
    (`full_clean`) so the API and the UI share one set of rules.
    """

    def create(self, validated_data):
        return self.create_with_service(validated_data)

    def update(self, instance, validated_data):
        return self.update_with_service(instance, validated_data)

    def create_with_service(self, data):
        raise NotImplementedError

    def update_with_service(self, instance, data):
        raise NotImplementedError


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's, refusing a NUL character before the lookup: PostgreSQL cannot
    hold one in text, and the query would fail with a 500 instead of the
    field's own 400."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)
