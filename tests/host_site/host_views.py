"""The hostile host's own DRF view, mounted at ``/host/groups/`` (see ``hostile.py``)."""

from __future__ import annotations

from django.contrib.auth.models import Group
from rest_framework import generics, serializers


class GroupSerializer(serializers.ModelSerializer[Group]):
    class Meta:
        model = Group
        fields = ("id", "name")


class HostGroups(generics.ListAPIView[Group]):
    """A view of the host's: every default above applies to it."""

    queryset = Group.objects.order_by("pk")
    serializer_class = GroupSerializer
