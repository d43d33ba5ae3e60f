"""Access control: roles, users and API keys, the audit log of personal-data views."""
