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
