"""What every object's page shows besides itself: conditions, owned objects, events."""
