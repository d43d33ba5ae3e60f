"""Web app: map services and pages."""
